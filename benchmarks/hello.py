"""`python benchmarks/hello.py PORT`: the bare FastAPI hello-world that catalog's API is measured
against, served the way catalog is (the same uvicorn, loop and HTTP parser from the lock, one
process, no access log) with nothing else: no database, tracing, metrics or middleware."""

from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI

app = FastAPI()


@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"message": "Hello, world"}


if __name__ == "__main__":
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        access_log=False,
        server_header=False,
        log_level="warning",
    )
