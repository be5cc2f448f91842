#!/usr/bin/python3
"""interop_py_server.py - a python3-websockets echo server for ws_client to talk to.

It echoes every message, pings every 0.2 s (ws_client must answer), and closes with 4001
when it receives "please close". Prints "listening on 127.0.0.1 port N" like Wirelab servers.
"""
import asyncio
import sys

import websockets


async def handler(ws, path=None):
    async for msg in ws:
        if msg == "please close":
            await ws.close(code=4001, reason="as you asked")
            return
        await ws.send(msg)


async def main():
    async with websockets.serve(handler, "127.0.0.1", 0, ping_interval=0.2, ping_timeout=2,
                                compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"listening on 127.0.0.1 port {port}", flush=True)
        await asyncio.Future()


asyncio.run(main())
