"""A Python gRPC client of xingfu, generated from the protos: creates a project, reads it
back, finds it in a list, and shows what a bad request answers.

The stubs are generated at start by grpcio-tools (the protos in ../../proto, and the
well-known types grpcio-tools carries) into a temporary folder; an integrator would
generate them once into their own project the same way.

    pip install grpcio-tools
    python3 docs/examples/grpc_client.py 127.0.0.1:50051 "$XINGFU_API_KEY"

tests/suite/python_clients.rs runs it against a real suite on every `scripts/test.sh`.
"""

import importlib
import json
import pathlib
import sys
import tempfile
import uuid

import grpc
import grpc_tools
from grpc_tools import protoc

PROTOS = pathlib.Path(__file__).resolve().parents[2] / "proto"


def generate(into: pathlib.Path) -> None:
    """Python modules for every xingfu proto, into `into` (then put on sys.path)."""
    files = [
        str(path.relative_to(PROTOS))
        for path in sorted(PROTOS.rglob("*.proto"))
        if path.relative_to(PROTOS).parts[0] == "xingfu"
    ]
    well_known = pathlib.Path(grpc_tools.__file__).parent / "_proto"
    status = protoc.main(
        [
            "grpc_tools.protoc",
            f"-I{PROTOS}",
            f"-I{well_known}",
            f"--python_out={into}",
            f"--grpc_python_out={into}",
            *files,
        ]
    )
    if status != 0:
        sys.exit(f"protoc failed ({status})")
    sys.path.insert(0, str(into))


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    address, api_key = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as folder:
        generate(pathlib.Path(folder))
        projects = importlib.import_module("xingfu.projects.v1.projects_pb2")
        stubs = importlib.import_module("xingfu.projects.v1.projects_pb2_grpc")
        common = importlib.import_module("xingfu.common.v1.common_pb2")

        metadata = [("x-api-key", api_key)]
        with grpc.insecure_channel(address) as channel:
            client = stubs.ProjectsServiceStub(channel)
            request_id = f"python-grpc-{uuid.uuid4()}"
            ask = projects.CreateProjectRequest(
                request_id=request_id,
                title="温馨小书房 · 书桌和台灯",
                category=projects.CATEGORY_PAIRED_ASSISTANCE,
                community_ids=["beiao-xiaoqu"],
                description="A study corner for a child of a family in hardship.",
            )
            created = client.CreateProject(ask, metadata=metadata, timeout=10)
            again = client.CreateProject(ask, metadata=metadata, timeout=10)
            read = client.GetProject(
                projects.GetProjectRequest(id=created.id), metadata=metadata, timeout=10
            )
            listed = client.ListProjects(
                projects.ListProjectsRequest(page=common.PageRequest(page_size=100)),
                metadata=metadata,
                timeout=10,
            )
            try:
                client.CreateProject(
                    projects.CreateProjectRequest(title="x" * 300),
                    metadata=metadata,
                    timeout=10,
                )
                refused = None
            except grpc.RpcError as error:
                refused = error.code().name

        print(
            json.dumps(
                {
                    "created": created.id,
                    "retry_same": again.id == created.id,
                    "read_title": read.title,
                    "listed": any(p.id == created.id for p in listed.projects),
                    "bad_request": refused,
                },
                ensure_ascii=False,
            )
        )


if __name__ == "__main__":
    main()
