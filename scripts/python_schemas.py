"""Prints Python GraphAI's function schemas for the functions that
tests/schema.rs declares in Rust, as the fixture tests/fixtures/python_schemas.json.

    python3 -m venv target/pyref && target/pyref/bin/pip install graphai-lib==0.0.12
    target/pyref/bin/python scripts/python_schemas.py > tests/fixtures/python_schemas.json

Each function here has the same name, docstring, parameters and defaults as
its Rust twin, with the Python type that maps to the same JSON type.
"""

import inspect
import json
import logging
from typing import Optional

from pydantic import BaseModel, Field

from graphai import node
from graphai.utils import FunctionSchema, OpenAIAPI

# GraphAI logs a warning for a function without a docstring; keep stdout clean.
logging.getLogger("graphai.utils").setLevel(logging.ERROR)


def get_weather(
    city: str,
    days: int = 3,
    units: str = "metric",
    detailed: bool = False,
    threshold: float = 0.5,
) -> dict:
    """Looks up the weather for a city."""
    return {}


def search(query: str, tags: list, filters: dict, limit: int = 10) -> str:
    """Searches the knowledge base."""
    return ""


def no_doc(x: int) -> int:
    return x


@node
async def node_weather(city: str, days: int = 3) -> dict:
    """Forecast node."""
    return {}


class User(BaseModel):
    """A user of the app."""

    name: str = Field(description="The user's name")
    age: int = Field(default=30, description="Age in years")
    email: Optional[str] = Field(default=None, description="Contact address")
    score: float = 1.5
    active: bool = True


def default_json(default):
    """A parameter's default as JSON: null when it has none."""
    if default is inspect.Parameter.empty:
        return None
    return default


def dump(schema: FunctionSchema) -> dict:
    return {
        "schema": {
            "name": schema.name,
            "description": schema.description,
            "signature": schema.signature,
            "output": schema.output,
            "parameters": [
                {
                    "name": p.name,
                    "type": p.type,
                    "default": default_json(p.default),
                    "has_default": p.default is not inspect.Parameter.empty,
                    "required": p.required,
                    "description": p.description,
                }
                for p in schema.parameters
            ],
        },
        "to_dict": schema.to_dict(),
        "responses": schema.to_openai(OpenAIAPI.RESPONSES),
    }


def main() -> None:
    functions = {
        f.__name__: dump(FunctionSchema.from_callable(f))
        for f in (get_weather, search, no_doc)
    }
    nodes = {"node_weather": dump(node_weather.schema)}
    models = {"User": dump(FunctionSchema.from_pydantic(User))}
    out = {"functions": functions, "nodes": nodes, "models": models}
    print(json.dumps(out, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
