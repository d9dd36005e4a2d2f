"""Create a benchmark's PostgreSQL database when it is missing (before django.setup())."""

import dj_database_url
import psycopg2
from psycopg2 import sql


def ensure_database(url: str) -> None:
    params = dj_database_url.parse(url)
    admin = psycopg2.connect(
        dbname="postgres",
        user=params["USER"],
        password=params["PASSWORD"] or None,
        host=params["HOST"] or None,
        port=params["PORT"] or None,
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [params["NAME"]])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(params["NAME"])))
    admin.close()
