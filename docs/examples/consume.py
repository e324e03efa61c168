#!/usr/bin/env python3
"""A consumer of xingfu's events in Python, with nothing but nats-py, protobuf and the
descriptor set that `xingfu descriptors` writes (no generated code).

    pip install nats-py protobuf
    xingfu descriptors --output xingfu.binpb
    python3 consume.py --descriptors xingfu.binpb --service projects

It reads the service's stream through a durable pull consumer, decodes every event by its
CloudEvents type (`ce-type`), prints it as one JSON line, and acknowledges it only after it
was handled: run it again and it carries on where it stopped. Deduplicate by `ce-id`:
delivery is at least once.
"""

import argparse
import asyncio
import json
import sys

import nats
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy


def load_pool(path):
    """Every message type of the descriptor set, imports first."""
    files = descriptor_pb2.FileDescriptorSet()
    with open(path, "rb") as handle:
        files.ParseFromString(handle.read())
    pool = descriptor_pool.DescriptorPool()
    pending, added = list(files.file), set()
    while pending:
        ready = [f for f in pending if all(dependency in added for dependency in f.dependency)]
        if not ready:
            raise SystemExit("the descriptor set has imports it does not contain")
        for file in ready:
            pool.Add(file)
            added.add(file.name)
            pending.remove(file)
    return pool


def decode(pool, event_type, payload):
    descriptor = pool.FindMessageTypeByName(event_type)
    message = message_factory.GetMessageClass(descriptor)()
    message.ParseFromString(payload)
    return json_format.MessageToDict(message)


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="nats://127.0.0.1:4222")
    parser.add_argument("--prefix", default="xingfu", help="the deployment's nats.prefix")
    parser.add_argument("--service", default="projects", help="whose events to read")
    parser.add_argument("--descriptors", required=True, help="the file `xingfu descriptors` wrote")
    parser.add_argument("--durable", default="python-example", help="the consumer's durable name")
    parser.add_argument("--count", type=int, default=0, help="stop after this many events (0: never)")
    args = parser.parse_args()

    pool = load_pool(args.descriptors)
    connection = await nats.connect(args.url)
    stream = f"{args.prefix}_{args.service}".upper().replace("-", "_")
    subscription = await connection.jetstream().pull_subscribe(
        f"{args.prefix}.{args.service}.>",
        durable=args.durable,
        stream=stream,
        config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL),
    )
    handled = 0
    while args.count == 0 or handled < args.count:
        try:
            messages = await subscription.fetch(10, timeout=5)
        except nats.errors.TimeoutError:
            continue
        for message in messages:
            headers = message.headers or {}
            event = {
                "subject": message.subject,
                "id": headers.get("ce-id"),
                "type": headers.get("ce-type"),
                "time": headers.get("ce-time"),
                "data": decode(pool, headers.get("ce-type"), message.data),
            }
            print(json.dumps(event, ensure_ascii=False), flush=True)
            await message.ack()
            handled += 1
            if args.count and handled >= args.count:
                break
    await connection.close()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
