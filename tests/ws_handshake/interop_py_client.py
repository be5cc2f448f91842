#!/usr/bin/python3
"""interop_py_client.py - Debian's python3-websockets (a library nobody here wrote) as the client
of ws_server: echo, fragmented and 1 MiB messages, ping, close codes, and the 1009 limit.

What it teaches: passing our own tests proves little if we misread the RFC the same way twice;
a widely used independent implementation must agree with every byte we send and accept.
Run by interop_python.sh:  interop_py_client.py PORT   (server: --max-message 2097152)
"""
import asyncio
import sys

import websockets

PORT = int(sys.argv[1])
URL = f"ws://127.0.0.1:{PORT}/ws"


def check(what, want, got):
    if want != got:
        raise AssertionError(f"{what}: expected {want!r}, got {got!r}")
    print(f"  ok    {what}")


async def echo_cases():
    async with websockets.connect(URL, max_size=None, compression=None) as ws:
        await ws.send("hello, κόσμε")
        check("text echo", "hello, κόσμε", await ws.recv())
        await ws.send(bytes(range(256)))
        check("binary echo", bytes(range(256)), await ws.recv())
        await ws.send(["frag", "men", "ted"])  # an iterable is sent as fragments
        check("fragmented text echo", "fragmented", await ws.recv())
        big = bytes(i % 251 for i in range(1 << 20))
        await ws.send(big)
        check("1 MiB binary echo", big, await ws.recv())
        pong = await ws.ping(b"are you there")
        await asyncio.wait_for(pong, 5)
        print("  ok    ping answered with a matching pong")
        await ws.close(code=4000, reason="bye")
        check("close code echoed by the server", 4000, ws.close_code)


async def normal_close():
    async with websockets.connect(URL, compression=None) as ws:
        await ws.send("x")
        await ws.recv()
    check("close 1000 at the end of 'async with'", 1000, ws.close_code)


async def too_big():
    async with websockets.connect(URL, max_size=None, compression=None) as ws:
        try:
            # Over the server's --max-message 2097152: it fails the connection as soon as it
            # reads the header, possibly while we are still sending the payload.
            await ws.send(b"x" * (3 << 20))
            await asyncio.wait_for(ws.recv(), 10)
        except websockets.ConnectionClosed:
            pass
    check("message over --max-message closed with", 1009, ws.close_code)


async def main():
    await echo_cases()
    await normal_close()
    await too_big()


try:
    asyncio.run(main())
except Exception as e:  # print what happened instead, for the failure transcript
    print(f"FAILED: {type(e).__name__}: {e}")
    sys.exit(1)
