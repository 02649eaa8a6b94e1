"""Serves a GGUF model as an OpenAI-compatible endpoint on 127.0.0.1 with llama.cpp's server
(PyPI `xllamacpp`). Started and stopped by `scripts/model-server`; not meant to be run by hand.

Arguments: model path, port, parallel slots, context per slot.
"""

import signal
import sys
import time

import xllamacpp


def main() -> None:
    model_path, port, slots, ctx_per_slot = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    params = xllamacpp.CommonParams()
    params.model.path = model_path
    params.n_parallel = slots
    params.n_ctx = slots * ctx_per_slot  # the total context is shared by the slots
    params.cont_batching = True
    params.cpuparams.n_threads = 2
    params.cpuparams_batch.n_threads = 2
    params.hostnames = ["127.0.0.1"]
    params.port = port
    params.use_jinja = True  # the chat template stored in the GGUF
    params.model_alias = {"local"}
    # Read the weights into memory: this VM pages out memory-mapped files aggressively.
    params.load_mode = xllamacpp.llama_load_mode.LLAMA_LOAD_MODE_NONE
    server = xllamacpp.Server(params)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"serving {model_path} on http://127.0.0.1:{port}/v1 ({slots} slots)", flush=True)
    while server is not None:
        time.sleep(3600)


if __name__ == "__main__":
    main()
