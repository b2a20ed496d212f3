"""SQLAlchemy 2's ORM running `strata bench`'s insert and fetch_all workloads.

Run by `strata bench --peers` in a virtualenv it creates (requirements.txt next to this
file); by hand:

    python sqlalchemy_peer.py --n N --repeats R --dir DIR [--only insert|fetch_all]

The same rows, table shape and SQLite settings as the bench's raw-rusqlite baseline (WAL,
synchronous=NORMAL, default page and cache sizes, one index on `created`), with two
differences a reader should know: Python's sqlite3 module links the system's SQLite (the
`sqlite` field says which), and `created` is an integer column of microseconds, as Strata
stores dates, rather than a DateTime (which SQLAlchemy would store as text).

Prints one JSON line per workload: {"peer", "label", "sqlite", "workload", "n", "median_s",
"runs", "checksum"}. `checksum` is the row count after insert, and for fetch_all the sum of
the bench's per-row checksum over every attribute read, which `strata bench` recomputes
from its own rows. Nothing here judges the times.

The rows come from the formula in crates/cli/src/commands/bench/data.rs (`rows_in`),
repeated here and in bench/peers/src/main.rs; change all three together (the checksum
check catches a drift).
"""

import argparse
import json
import math
import sqlite3
import sys
import time
from pathlib import Path

import sqlalchemy
from sqlalchemy import create_engine, event, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

STEP_MICROS = 60_000_000
ORIGIN_MICROS = 1_704_067_200_000_000


class Base(DeclarativeBase):
    pass


class Clip(Base):
    __tablename__ = "clip"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str]
    url: Mapped[str]
    created: Mapped[int] = mapped_column(index=True)
    score: Mapped[float]
    visits: Mapped[int]
    pinned: Mapped[bool]
    uuid: Mapped[bytes]


def rows(n):
    """The bench's rows 0..n, as tuples (see the module docs for where the formula lives)."""
    multiplier = int(n * 0.61803398875) | 1
    while math.gcd(multiplier, max(n, 1)) != 1:
        multiplier += 2
    out = []
    for i in range(n):
        k = (i * multiplier) % max(n, 1)
        out.append((
            f"Clip {i:05d}: notes on topic {i % 97}",
            f"https://example.com/clips/{i}",
            ORIGIN_MICROS + k * STEP_MICROS,
            (i % 40) / 4.0,
            i % 1000,
            i % 3 == 0,
            ((0x5EED << 112) | i).to_bytes(16, "big"),
        ))
    return out


def checksum(c):
    """The bench's per-row checksum (`ReadBack::checksum`), reading every attribute."""
    return (c.id + len(c.title) + len(c.url) + c.created % 997 + int(c.score * 4.0) + c.visits
            + int(c.pinned) + (c.uuid[-1] if c.uuid else 0))


def engine_at(path):
    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def settings(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    Base.metadata.create_all(engine)
    return engine


def insert(engine, data):
    """Objects added to one session, one commit: the ORM's unit of work, as Strata's save."""
    with Session(engine) as session:
        session.add_all([
            Clip(title=t, url=u, created=c, score=s, visits=v, pinned=p, uuid=id_)
            for (t, u, c, s, v, p, id_) in data
        ])
        session.commit()


def fetch_all(engine):
    """Every object in a new session, every attribute read."""
    with Session(engine) as session:
        clips = session.scalars(select(Clip)).all()
        return sum(checksum(c) for c in clips)


def count(engine):
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Clip))


def median(samples):
    return sorted(samples)[len(samples) // 2]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--repeats", type=int, required=True)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--only", choices=["insert", "fetch_all"])
    args = parser.parse_args()
    if args.n <= 0 or args.repeats <= 0:
        parser.error("--n and --repeats must be positive")
    data = rows(args.n)
    label = f"SQLAlchemy {sqlalchemy.__version__} ORM"

    def report(workload, seconds, check):
        print(json.dumps({
            "peer": "sqlalchemy", "label": label, "sqlite": sqlite3.sqlite_version,
            "workload": workload, "n": args.n, "median_s": seconds, "runs": args.repeats,
            "checksum": check,
        }), flush=True)

    if args.only in (None, "insert"):
        times, stored = [], 0
        for run in range(args.repeats):
            engine = engine_at(args.dir / f"sqlalchemy-insert-{run}.sqlite")
            start = time.perf_counter()
            insert(engine, data)
            times.append(time.perf_counter() - start)
            stored = count(engine)
            engine.dispose()
        report("insert", median(times), stored)
    if args.only in (None, "fetch_all"):
        engine = engine_at(args.dir / "sqlalchemy-fetch.sqlite")
        insert(engine, data)
        times, total = [], 0
        for _ in range(args.repeats):
            start = time.perf_counter()
            total = fetch_all(engine)
            times.append(time.perf_counter() - start)
        engine.dispose()
        report("fetch_all", median(times), total)
    return 0


if __name__ == "__main__":
    sys.exit(main())
