# Production image: one image for web (gunicorn, WSGI), ws (uvicorn, ASGI), worker and beat.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=helpdesk.settings.production

WORKDIR /app
RUN useradd --create-home --uid 1000 jornada
COPY . .
RUN pip install --no-cache-dir . \
    && SECRET_KEY=build-only-secret-key-build-only-secret-key-build-only \
       DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 \
       python manage.py collectstatic --no-input -v 0 \
    && mkdir -p /app/var /app/media /app/private && chown -R jornada /app/var /app/media /app/private
USER jornada
EXPOSE 8000
# As docker-compose.yml's web service (tests/bench/test_http_server_config.py keeps them equal).
CMD ["gunicorn", "helpdesk.wsgi:application", "--bind=0.0.0.0:8000", "--workers=4", "--worker-class=gthread", "--threads=2", "--keep-alive=5", "--no-control-socket"]
