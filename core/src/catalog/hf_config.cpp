#include "haloplan/catalog/hf_config.h"

#include <algorithm>
#include <cctype>

#include "haloplan/text/json_parse.h"
#include "haloplan/text/strings.h"

namespace haloplan {

using nlohmann::json;

const std::vector<std::string>& hf_model_types() {
  static const std::vector<std::string> t = {
      "llama",  "mistral",          "mixtral",     "qwen2",   "qwen3",       "qwen3_moe", "qwen3_next",
      "gemma2", "gemma3",           "gemma3_text", "gpt_oss", "deepseek_v3", "kimi_k2",   "glm4_moe",
      "phi3",   "granitemoehybrid", "nemotron_h"};
  return t;
}

namespace {

struct Config {
  const json& j;
  std::vector<std::string> missing, invalid;
  std::optional<double> num(const char* k) const {
    auto it = j.find(k);
    if (it == j.end() || !it->is_number()) return std::nullopt;
    const double v = it->get<double>();
    if (!(v >= 0) || v > 1e12) return std::nullopt;
    return v;
  }
  int64_t need(const char* k) {
    auto v = num(k);
    if (!v) {
      auto it = j.find(k);
      if (it == j.end() || it->is_null()) missing.push_back(k);
      else invalid.push_back(std::string(k) + " (" + it->dump().substr(0, 40) + ")");
      return 0;
    }
    return int64_t(*v);
  }
  int64_t opt(const char* k, int64_t def) const { return int64_t(num(k).value_or(double(def))); }
  bool flag(const char* k, bool def) const {
    auto it = j.find(k);
    return it != j.end() && it->is_boolean() ? it->get<bool>() : def;
  }
  std::string str(const char* k) const {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  }
};

// A layer pattern from a per-layer list of kinds ("sliding_attention", "mamba", ...).
std::string pattern_from_types(const json& types, bool& ok) {
  std::string p;
  ok = types.is_array() && !types.empty();
  if (!ok) return p;
  for (const auto& t : types) {
    const std::string s = t.is_string() ? t.get<std::string>() : "";
    if (s == "sliding_attention" || s == "sliding") p += 'S';
    else if (s == "full_attention" || s == "attention" || s == "full") p += 'A';
    else if (s == "mamba" || s == "linear_attention" || s == "mamba2") p += 'R';
    else {
      ok = false;
      return p;
    }
  }
  return p;
}

// What a family's mapper fills: the entry, its attention block and its MoE block.
struct Entry {
  json m, att = json::object(), moe;
};

// The per-layer pattern from layer_types when the config lists it; "" and ok=false otherwise.
std::string layer_types_pattern(const Config& c, bool& ok) {
  ok = false;
  auto lt = c.j.find("layer_types");
  return lt != c.j.end() ? pattern_from_types(*lt, ok) : "";
}

void dense_ff(Config& c, Entry& e) { e.m["intermediate_size"] = c.need("intermediate_size"); }

void routed_experts(Config& c, Entry& e, const char* n_expert, const char* ff) {
  e.moe["n_expert"] = c.need(n_expert);
  e.moe["n_expert_used"] = c.need("num_experts_per_tok");
  e.moe["expert_ff"] = c.need(ff);
}

// One shared expert of the given width, when the config has one.
void shared_expert(Config& c, Entry& e, const char* key) {
  if (auto sh = c.num(key); sh && *sh > 0) {
    e.moe["n_expert_shared"] = 1;
    e.moe["shared_ff"] = int64_t(*sh);
  }
}

// Mamba-2 state sizes under each family's own key names: conv kernel, heads, head size, groups,
// state size (kernel and groups have defaults).
json mamba2(Config& c, const char* conv, const char* heads, const char* head_dim, const char* groups,
            const char* state) {
  return {{"kind", "mamba2"},
          {"d_conv", c.opt(conv, 4)},
          {"n_head", c.need(heads)},
          {"head_dim", c.need(head_dim)},
          {"n_group", c.opt(groups, 1)},
          {"d_state", c.need(state)}};
}

void map_dense(Config& c, const std::string& type, Entry& e) {
  e.m["arch"] = type == "phi3" ? "phi3" : type;
  if (type == "mistral") e.m["arch"] = "llama";
  if (type == "qwen2") e.m["attention_bias"] = true;  // Qwen2 always has q/k/v biases
  if (type == "qwen3") e.m["qk_norm"] = true;
  dense_ff(c, e);
}

void map_mixtral(Config& c, const std::string&, Entry& e) {
  e.m["arch"] = "llama";
  routed_experts(c, e, "num_local_experts", "intermediate_size");
}

void map_qwen3_moe(Config& c, const std::string&, Entry& e) {
  e.m["arch"] = "qwen3moe";
  e.m["qk_norm"] = true;
  routed_experts(c, e, "num_experts", "moe_intermediate_size");
}

void map_qwen3_next(Config& c, const std::string&, Entry& e) {
  e.m["arch"] = "qwen3next";
  e.m["qk_norm"] = true;
  e.m["attn_output_gate"] = true;
  const int64_t every = c.need("full_attention_interval");
  e.att["pattern"] = std::string(size_t(std::max<int64_t>(every, 1) - 1), 'R') + "A";
  e.att["recurrent"] = {{"kind", "gated-deltanet"},
                        {"d_conv", c.need("linear_conv_kernel_dim")},
                        {"n_head", c.need("linear_num_value_heads")},
                        {"head_dim", c.need("linear_value_head_dim")},
                        {"n_group", c.need("linear_num_key_heads")},
                        {"d_state", c.need("linear_key_head_dim")}};
  routed_experts(c, e, "num_experts", "moe_intermediate_size");
  shared_expert(c, e, "shared_expert_intermediate_size");
}

void map_gemma(Config& c, const std::string& type, Entry& e) {
  const bool g3 = type != "gemma2";
  e.m["arch"] = g3 ? "gemma3" : "gemma2";
  if (g3) e.m["qk_norm"] = true;
  dense_ff(c, e);
  e.att["sliding_window"] = c.need("sliding_window");
  bool ok = false;
  std::string p = layer_types_pattern(c, ok);
  if (!ok) {
    const int64_t every = c.opt("sliding_window_pattern", g3 ? 6 : 2);
    p = std::string(size_t(std::max<int64_t>(every, 1) - 1), 'S') + "A";
  }
  e.att["pattern"] = p;
}

void map_gpt_oss(Config& c, const std::string&, Entry& e) {
  e.m["arch"] = "gpt-oss";
  e.m["attention_bias"] = true;
  e.m["attention_sinks"] = true;
  e.att["sliding_window"] = c.need("sliding_window");
  bool ok = false;
  e.att["pattern"] = layer_types_pattern(c, ok);
  if (!ok) e.att["pattern"] = "SA";
  e.moe["n_expert"] = c.need("num_local_experts");
  e.moe["n_expert_used"] = c.num("num_experts_per_tok") ? c.need("num_experts_per_tok") : c.need("experts_per_token");
  e.moe["expert_ff"] = c.need("intermediate_size");
  e.moe["expert_bias"] = true;
}

void map_deepseek(Config& c, const std::string& type, Entry& e) {
  const bool mla = type != "glm4_moe";
  e.m["arch"] = mla ? "deepseek2" : "glm4moe";
  if (mla) {
    const int64_t nope = c.need("qk_nope_head_dim"), rope = c.need("qk_rope_head_dim");
    e.att = {{"kind", "mla"},
             {"q_lora_rank", c.opt("q_lora_rank", 0)},
             {"kv_lora_rank", c.need("kv_lora_rank")},
             {"qk_nope_head_dim", nope},
             {"qk_rope_head_dim", rope},
             {"v_head_dim", c.need("v_head_dim")}};
    e.m["head_dim"] = nope + rope;
  }
  if (c.flag("use_qk_norm", false)) e.m["qk_norm"] = true;
  routed_experts(c, e, "n_routed_experts", "moe_intermediate_size");
  if (const int64_t sh = c.opt("n_shared_experts", 0); sh > 0) {
    e.moe["n_expert_shared"] = sh;
    e.moe["shared_ff"] = sh * c.need("moe_intermediate_size");
  }
  if (const int64_t k = c.opt("first_k_dense_replace", 0); k > 0) {
    e.moe["n_dense_layers"] = k;
    e.moe["dense_ff"] = c.need("intermediate_size");
  }
}

void map_granite_hybrid(Config& c, const std::string&, Entry& e) {
  e.m["arch"] = "granitehybrid";
  bool ok = false;
  e.att["pattern"] = layer_types_pattern(c, ok);
  if (!ok) c.missing.push_back("layer_types");
  e.att["recurrent"] = mamba2(c, "mamba_d_conv", "mamba_n_heads", "mamba_d_head", "mamba_n_groups", "mamba_d_state");
  if (c.opt("num_local_experts", 0) > 0) {
    routed_experts(c, e, "num_local_experts", "intermediate_size");
    shared_expert(c, e, "shared_intermediate_size");
  } else {
    e.m["intermediate_size"] = c.opt("shared_intermediate_size", c.need("intermediate_size"));
  }
}

void map_nemotron_h(Config& c, const std::string&, Entry& e) {
  e.m["arch"] = "nemotron_h";
  e.m["ffn_gated"] = false;
  dense_ff(c, e);
  const std::string hp = c.str("hybrid_override_pattern");
  if (hp.empty()) c.missing.push_back("hybrid_override_pattern");
  std::string p;
  for (char ch : hp) p += ch == 'M' ? 'R' : (ch == '*' ? 'A' : 'F');
  e.att["pattern"] = p;
  e.att["recurrent"] = mamba2(c, "conv_kernel", "mamba_num_heads", "mamba_head_dim", "n_groups", "ssm_state_size");
}

using Mapper = void (*)(Config&, const std::string&, Entry&);
Mapper mapper_for(const std::string& type) {
  if (type == "llama" || type == "mistral" || type == "phi3" || type == "qwen2" || type == "qwen3") return map_dense;
  if (type == "mixtral") return map_mixtral;
  if (type == "qwen3_moe") return map_qwen3_moe;
  if (type == "qwen3_next") return map_qwen3_next;
  if (type == "gemma2" || type == "gemma3" || type == "gemma3_text") return map_gemma;
  if (type == "gpt_oss") return map_gpt_oss;
  if (type == "deepseek_v3" || type == "kimi_k2" || type == "glm4_moe") return map_deepseek;
  if (type == "granitemoehybrid") return map_granite_hybrid;
  if (type == "nemotron_h") return map_nemotron_h;
  return nullptr;
}

// The sizes every transformers config has.
void map_common(Config& c, const std::string& type, const std::string& display, Entry& e) {
  const std::string base =
      display.substr(display.find_last_of('/') == std::string::npos ? 0 : display.find_last_of('/') + 1);
  e.m["id"] = slug(base, "hf-model");
  e.m["name"] = display.substr(0, 200);
  const int64_t L = c.need("num_hidden_layers"), E = c.need("hidden_size"), H = c.need("num_attention_heads");
  const int64_t V = c.need("vocab_size");
  e.m["n_layers"] = L;
  e.m["hidden_size"] = E;
  e.m["n_heads"] = H;
  e.m["n_kv_heads"] = c.opt("num_key_value_heads", H);
  if (auto hd = c.num("head_dim"); hd && *hd > 0) e.m["head_dim"] = int64_t(*hd);
  else if (H > 0) e.m["head_dim"] = E / H;
  e.m["vocab_size"] = V;
  e.m["max_context"] = std::max<int64_t>(256, c.opt("max_position_embeddings", 4096));
  e.m["tied_embeddings"] = c.flag("tie_word_embeddings", type.rfind("gemma", 0) == 0);
  if (c.flag("attention_bias", false)) e.m["attention_bias"] = true;
}

}  // namespace

HfImport hf_config_to_model(std::string_view text, const std::string& name) {
  HfImport out;
  std::vector<Diagnostic> d;
  auto root = detail::parse_json(text, d, "config.json");
  if (!root) {
    out.error = d.empty() ? "config.json is not valid JSON" : d.front().message;
    return out;
  }
  if (!root->is_object()) {
    out.error = "config.json must be a JSON object";
    return out;
  }
  // Multimodal configs (Gemma 3, Llama 4, ...) keep the language model under text_config.
  json merged = *root;
  if (auto tc = root->find("text_config"); tc != root->end() && tc->is_object())
    for (auto it = tc->begin(); it != tc->end(); ++it) merged[it.key()] = it.value();
  Config c{merged, {}, {}};
  std::string type = c.str("model_type");
  if (auto tc = root->find("text_config"); tc != root->end() && tc->is_object() && tc->contains("model_type"))
    type = (*tc)["model_type"].is_string() ? (*tc)["model_type"].get<std::string>() : type;
  if (type.empty()) {
    out.error = "config.json has no model_type; it is not a Hugging Face transformers config";
    return out;
  }
  const Mapper map = mapper_for(type);
  if (!map) {
    out.error = "model_type '" + type.substr(0, 64) +
                "' is not one this version maps (known: " + join(hf_model_types(), ", ") +
                "); add the model by hand from its numbers instead";
    return out;
  }
  const std::string display = !name.empty() ? name : (!c.str("_name_or_path").empty() ? c.str("_name_or_path") : type);
  Entry e;
  map_common(c, type, display, e);
  map(c, type, e);
  if (!c.missing.empty() || !c.invalid.empty()) {
    out.error = "config.json (model_type '" + type + "')";
    if (!c.missing.empty()) out.error += " is missing " + join(c.missing, ", ");
    if (!c.invalid.empty())
      out.error += std::string(c.missing.empty() ? "" : ";") + " has invalid " + join(c.invalid, ", ");
    return out;
  }
  if (!e.att.empty()) e.m["attention"] = e.att;
  if (!e.moe.is_null()) e.m["moe"] = e.moe;
  e.m["sources"] = json::array(
      {"Hugging Face config.json" + (display.empty() ? std::string() : " (" + display.substr(0, 200) + ")")});
  e.m["notes"] = "from Hugging Face config.json; weights from llama.cpp's quantisation rules";
  out.model = std::move(e.m);
  return out;
}

}  // namespace haloplan
