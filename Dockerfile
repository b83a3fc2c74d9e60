# gpequity's web app in a container: docs/deployment.md.
#   docker build -t gpequity .
#   docker run --rm -p 8000:8000 -v "$PWD/data/real:/data:ro" gpequity
# Three stages: the pinned front-end packages, the wheel (with the vendored NHS design system
# and htmx: the build refuses without them), then a slim runtime that installs only the wheel.
# The network is used while building; the running container fetches nothing.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM ${PYTHON_IMAGE} AS wheel
WORKDIR /src
COPY --from=assets /src/node_modules ./node_modules
COPY pyproject.toml README.md MANIFEST.in package.json package-lock.json ./
COPY tools ./tools
COPY src ./src
RUN python tools/vendor_assets.py \
 && pip wheel --no-cache-dir --no-deps --wheel-dir /dist .

FROM ${PYTHON_IMAGE}
# WeasyPrint's libraries and a font, for the datapacks' PDF downloads.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
COPY --from=wheel /dist/ /tmp/dist/
RUN pip install --no-cache-dir /tmp/dist/gpequity-*.whl && rm -rf /tmp/dist
# The app never runs as root; it only reads the warehouse.
RUN useradd --system --uid 10001 --create-home --shell /usr/sbin/nologin gpequity
# The warehouse: mount the folder that holds gpequity.duckdb read-only at /data (a folder, not
# the file, so that a new warehouse renamed into it is picked up without a restart).
ENV GPEQUITY_DB=/data/gpequity.duckdb \
    PYTHONUNBUFFERED=1
VOLUME ["/data"]
USER gpequity
WORKDIR /home/gpequity
EXPOSE 8000
# Healthy when /healthz answers 200 with a readable warehouse (no curl in the slim image).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import json, sys, urllib.request as u; r = u.urlopen('http://127.0.0.1:8000/healthz', timeout=4); sys.exit(0 if json.load(r)['warehouse'] else 1)"]
CMD ["gpequity", "serve", "--host", "0.0.0.0", "--port", "8000"]
