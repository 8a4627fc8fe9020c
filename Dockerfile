# Atelier server image: the Python app and the committed web bundle; no Node needed.
FROM python:3.11-slim AS app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
# tzdata: the city's time zone (ATELIER_TIME_ZONE) is read from the zone database at start.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core curl tzdata \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /srv/atelier
COPY pyproject.toml setup.py MANIFEST.in README.md ./
COPY domain ./domain
COPY collab ./collab
COPY server ./server
# The committed build only (the wheel carries it: setup.py); web/src and node_modules stay out.
COPY web/dist ./web/dist
RUN pip install . && useradd --system --uid 10001 atelier
USER atelier
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD curl -fsS http://127.0.0.1:8000/health || exit 1
CMD ["atelier", "serve", "--host", "0.0.0.0", "--port", "8000"]
