"""The load generator of the ``tracking_page`` benchmark, run in its own process.

``python -m tests.bench.tracking_client PATHS_FILE BASE_URL REQUESTS CONCURRENCY`` sends
REQUESTS GETs (after a short warm-up) over keep-alive connections, CONCURRENCY at a time, cycling
through the paths in PATHS_FILE, and prints one JSON line: seconds, rps, latency percentiles in
milliseconds, and the status codes seen.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import httpx

WARM_UP = 200


async def load(paths: list[str], base: str, requests: int, concurrency: int) -> dict[str, object]:
    latencies: list[float] = []
    codes: Counter[int] = Counter()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        for path in paths[:WARM_UP]:
            await client.get(path)
        queue = iter(range(requests))

        async def worker() -> None:
            for n in queue:
                start = time.perf_counter()
                response = await client.get(paths[n % len(paths)])
                latencies.append(time.perf_counter() - start)
                codes[response.status_code] += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - began
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "requests": len(latencies),
        "seconds": round(seconds, 2),
        "rps": round(len(latencies) / seconds),
        "p50_ms": round(cuts[49] * 1000, 1),
        "p95_ms": round(cuts[94] * 1000, 1),
        "p99_ms": round(cuts[98] * 1000, 1),
        "codes": {str(code): count for code, count in sorted(codes.items())},
    }


def main() -> None:
    paths_file, base, requests, concurrency = sys.argv[1:5]
    paths = Path(paths_file).read_text(encoding="utf-8").split()
    print(json.dumps(asyncio.run(load(paths, base, int(requests), int(concurrency)))))


if __name__ == "__main__":
    main()
