"""Run a command with TEST_DATABASE_URL set to a throwaway PostgreSQL database, when one answers.

With no PostgreSQL server on 127.0.0.1:5432 the command runs without it and the PostgreSQL
test cases skip with a reason. A TEST_DATABASE_URL already set is used as it is.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import psycopg

HOST = os.environ.get("UABOT_TEST_PG_HOST", "127.0.0.1")
USERS = [u for u in (os.environ.get("PGUSER"), "postgres", os.environ.get("USER"), "root") if u]


def _admin_connection() -> tuple[psycopg.Connection, str] | None:
    for user in USERS:
        try:
            conn = psycopg.connect(
                host=HOST,
                port=5432,
                user=user,
                dbname="postgres",
                connect_timeout=3,
                autocommit=True,
            )
        except psycopg.OperationalError:
            continue
        return conn, user
    return None


def main(argv: list[str]) -> int:
    if os.environ.get("TEST_DATABASE_URL"):
        return subprocess.call(argv)
    found = _admin_connection()
    if found is None:
        print(f"pg_runner: no PostgreSQL on {HOST}:5432; PostgreSQL cases will be skipped")
        return subprocess.call(argv)
    admin, user = found
    name = f"uabot_test_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://{user}@{HOST}:5432/{name}"
    print(f"pg_runner: TEST_DATABASE_URL={url}")
    try:
        return subprocess.call(argv, env={**os.environ, "TEST_DATABASE_URL": url})
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
