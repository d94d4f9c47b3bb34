FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 OCPI_VAR_DIR=/var/lib/ocpi
WORKDIR /app
COPY pyproject.toml README.md ./
COPY config ./config
COPY ocpi ./ocpi
COPY cpo ./cpo
COPY emsp ./emsp
COPY hub ./hub
COPY manage.py ./
RUN pip install --no-cache-dir . && mkdir -p /var/lib/ocpi && python manage.py collectstatic --noinput
EXPOSE 8000 9000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "2", "--threads", "8"]
