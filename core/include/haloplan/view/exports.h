// Layer: view. What a plan exports for other programs: the llama-server command that runs it and
// the CLI's stable JSON object (`haloplan plan --format json`).
#pragma once

#include <optional>
#include <string>

#include "haloplan/planner/plan.h"
#include "haloplan/view/tables.h"

namespace haloplan {

// The llama-server command that runs the plan on a llama.cpp backend: context, slots, K/V types,
// flash attention, every layer on the GPU, and --no-mmap on unified memory. nullopt for other
// engines (vLLM, Ollama), which llama-server does not drive, and for settings llama.cpp refuses.
std::optional<std::string> llama_server_command(const Plan& p, const Scenario& s, const Backend& b);
// The launch lines for the plan on its engine: llama-server for llama.cpp backends; for Ollama the
// server's environment (context, flash attention, cache type, parallel, the Vulkan opt-in) and the
// model, pulled by its Hugging Face name when it is a published file; for vLLM `vllm serve` of the
// GGUF with the original repository's tokenizer. nullopt for settings llama.cpp refuses.
std::optional<std::string> launch_command(const Plan& p, const Scenario& s, const Backend& b);

// One object for scripts: weights_bytes, bits_per_weight, kv_bytes, state_bytes, compute_bytes,
// total_bytes, decode_tps, prefill_tps, max_context, verdicts (backend id -> verdict id) and more;
// speeds on the selection's speed backend.
std::string plan_json(const Catalog& c, const Scenario& s, const Plan& p, const Selection& sel);

}  // namespace haloplan
