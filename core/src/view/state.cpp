#include "haloplan/view/state.h"

#include <algorithm>
#include <functional>

#include "haloplan/planner/cluster.h"
#include "haloplan/planner/memory.h"
#include "haloplan/planner/quant.h"
#include "haloplan/text/codec.h"
#include "haloplan/text/json_parse.h"
#include "haloplan/text/strings.h"

namespace haloplan {

using nlohmann::json;

namespace {

std::optional<bool> parse_bool(const std::string& v) {
  if (v == "1" || v == "true" || v == "on") return true;
  if (v == "0" || v == "false" || v == "off") return false;
  return std::nullopt;
}

// "f16, bf16, ... or f32": the cache types llama.cpp's -ctk/-ctv take.
std::string cache_type_list() {
  std::vector<std::string> names;
  for (GgmlType t : kv_cache_types()) names.push_back(kv_cache_type_name(t));
  const std::string last = names.back();
  names.pop_back();
  return join(names, ", ") + " or " + last;
}

// One field of the state: how it reads from and writes to its text form (the link value).
// Returns an error message, or "" when the value was taken.
struct Field {
  const char* key;
  std::function<std::string(ViewState&, const std::string&)> read;
  std::function<std::optional<std::string>(const ViewState&)> write;  // nullopt: omit from links
};

std::string gib_field(std::optional<double>& f, const std::string& v, const char* what) {
  if (v == "default" || v.empty()) {
    f.reset();
    return "";
  }
  auto d = parse_number(v, 0, 65536);
  if (!d) return std::string(what) + " must be a number of GiB (0 to 65536) or 'default', got '" + v + "'";
  f = *d;
  return "";
}

std::optional<std::string> gib_text(const std::optional<double>& f) { return f ? num_text(*f) : "default"; }

std::string id_field(std::string& f, const std::string& v, const char* what) {
  if (!v.empty() && !valid_id(v)) return std::string(what) + " '" + v.substr(0, 64) + "' is not a valid id";
  f = v;
  return "";
}

// Fields of the common kinds: a yes/no switch and a whole number in a range.
Field bool_field(const char* key, bool ViewState::*member, const char* what, bool omit_when_false = false) {
  return {key,
          [member, what](ViewState& s, const std::string& v) -> std::string {
            auto b = parse_bool(v);
            if (!b) return std::string(what) + " must be on or off (1 or 0), got '" + v.substr(0, 32) + "'";
            s.*member = *b;
            return "";
          },
          [member, omit_when_false](const ViewState& s) -> std::optional<std::string> {
            if (omit_when_false && !(s.*member)) return std::nullopt;
            return s.*member ? "1" : "0";
          }};
}

// A whole number in [lo, hi]; a count of tokens may also be written in KiB of tokens ("32k").
template <class Int>
Field int_field(const char* key, Int ViewState::*member, int64_t lo, int64_t hi, const char* what,
                bool tokens = false) {
  return {key,
          [member, lo, hi, what, tokens](ViewState& s, const std::string& v) -> std::string {
            std::optional<int64_t> n;
            if (tokens && v.size() > 1 && (v.back() == 'k' || v.back() == 'K')) {
              if (auto kib = parse_whole(std::string_view(v).substr(0, v.size() - 1), 1, hi / 1024)) n = *kib * 1024;
            } else {
              n = parse_whole(v, lo, hi);
            }
            if (!n || *n < lo || *n > hi)
              return std::string(what) + " must be a whole number" + (tokens ? " of tokens" : "") + " from " +
                     std::to_string(lo) + " to " + std::to_string(hi) + ", got '" + v.substr(0, 32) + "'";
            s.*member = Int(*n);
            return "";
          },
          [member](const ViewState& s) -> std::optional<std::string> { return std::to_string(s.*member); }};
}

// Free text of at most max_len characters, left out of links when empty.
Field text_field(const char* key, std::string ViewState::*member, size_t max_len) {
  return {key,
          [key, member, max_len](ViewState& s, const std::string& v) -> std::string {
            if (v.size() > max_len)
              return std::string(key) + " is longer than " + std::to_string(max_len) + " characters";
            s.*member = v;
            return "";
          },
          [member](const ViewState& s) -> std::optional<std::string> {
            return (s.*member).empty() ? std::nullopt : std::optional<std::string>(s.*member);
          }};
}

// A K or V cache type, as llama.cpp's -ctk / -ctv name it.
Field cache_type_field(const char* key, std::string ViewState::*member, const char* what) {
  return {key,
          [member, what](ViewState& s, const std::string& v) -> std::string {
            if (!kv_cache_type(v))
              return std::string(what) + " '" + v.substr(0, 32) + "' is not a KV cache type; use " + cache_type_list();
            s.*member = v;
            return "";
          },
          [member](const ViewState& s) -> std::optional<std::string> { return s.*member; }};
}

const std::vector<Field>& fields() {
  static const std::vector<Field> f = {
      {"machine", [](ViewState& s, const std::string& v) { return id_field(s.machine, v, "machine"); },
       [](const ViewState& s) -> std::optional<std::string> { return s.machine; }},
      {"carve", [](ViewState& s, const std::string& v) { return gib_field(s.carve_out_gib, v, "carve-out"); },
       [](const ViewState& s) { return gib_text(s.carve_out_gib); }},
      {"gtt", [](ViewState& s, const std::string& v) { return gib_field(s.gtt_gib, v, "GTT limit"); },
       [](const ViewState& s) { return gib_text(s.gtt_gib); }},
      {"reserve", [](ViewState& s, const std::string& v) { return gib_field(s.os_reserve_gib, v, "OS reserve"); },
       [](const ViewState& s) { return gib_text(s.os_reserve_gib); }},
      {"kernel",
       [](ViewState& s, const std::string& v) -> std::string {
         if (!hip_reaches_gtt(v))
           return "kernel must be a version such as 6.8 or 6.18.4, or 'older', got '" + v.substr(0, 32) + "'";
         s.kernel = v;
         return "";
       },
       [](const ViewState& s) -> std::optional<std::string> {
         if (s.kernel.empty()) return std::nullopt;
         return s.kernel;
       }},
      // Links from before the kernel field: rocmgtt=0 meant a kernel that keeps HIP in the carve-out.
      {"rocmgtt",
       [](ViewState& s, const std::string& v) -> std::string {
         auto b = parse_bool(v);
         if (!b) return "rocmgtt must be on or off (1 or 0), got '" + v.substr(0, 32) + "'";
         s.kernel = *b ? "" : "older";
         return "";
       },
       [](const ViewState&) -> std::optional<std::string> { return std::nullopt; }},
      {"backend", [](ViewState& s, const std::string& v) { return id_field(s.backend, v, "backend"); },
       [](const ViewState& s) -> std::optional<std::string> { return s.backend; }},
      int_field("ctx", &ViewState::ctx, 1, int64_t(1) << 26, "context", true),
      cache_type_field("ktype", &ViewState::type_k, "K cache type"),
      cache_type_field("vtype", &ViewState::type_v, "V cache type"),
      int_field("slots", &ViewState::slots, 1, 256, "slots"),
      int_field("ckpt", &ViewState::ckpt, 0, 4096, "context checkpoints per slot"),
      int_field("cacheram", &ViewState::cacheram, -1, int64_t(1) << 24, "prompt cache MiB"),
      bool_field("unified", &ViewState::kv_unified, "one KV cache for all slots"),
      bool_field("fa", &ViewState::flash_attn, "flash attention"),
      int_field("prompt", &ViewState::prompt, 1, int64_t(1) << 26, "prompt", true),
      {"quants",
       [](ViewState& s, const std::string& v) -> std::string {
         std::vector<std::string> q;
         for (const auto& x : split(v, ',')) {
           auto k = quant_key(x);
           if (!k) return "quants: '" + x.substr(0, 32) + "' is not a quantisation preset or a published file";
           if (std::find(q.begin(), q.end(), *k) == q.end()) q.push_back(*k);
         }
         if (q.empty() || q.size() > 32) return "quants must list 1 to 32 presets or files";
         s.quants = q;
         return "";
       },
       [](const ViewState& s) -> std::optional<std::string> { return join(s.quants); }},
      {"model", [](ViewState& s, const std::string& v) { return id_field(s.model, v, "model"); },
       [](const ViewState& s) -> std::optional<std::string> {
         return s.model.empty() ? std::nullopt : std::optional<std::string>(s.model);
       }},
      {"quant",
       [](ViewState& s, const std::string& v) -> std::string {
         auto k = quant_key(v);
         if (!k) return "quant '" + v.substr(0, 32) + "' is not a quantisation preset or a published file";
         s.quant = *k;
         return "";
       },
       [](const ViewState& s) -> std::optional<std::string> { return s.quant; }},
      {"vision",
       [](ViewState& s, const std::string& v) -> std::string {
         auto b = parse_bool(v);
         if (!b) return "vision must be on or off (1 or 0), got '" + v.substr(0, 32) + "'";
         s.vision = *b;
         return "";
       },
       [](const ViewState& s) -> std::optional<std::string> {
         return s.vision ? std::nullopt : std::optional<std::string>("0");
       }},
      {"mmproj",
       [](ViewState& s, const std::string& v) -> std::string {
         if (v == "default") {
           s.mmproj_mib = -1;
           return "";
         }
         auto n = parse_whole(v, 1, int64_t(1) << 20);
         if (!n) return "mmproj must be a projector size in MiB from 1 to 1048576, got '" + v.substr(0, 32) + "'";
         s.mmproj_mib = *n;
         return "";
       },
       [](const ViewState& s) -> std::optional<std::string> {
         return s.mmproj_mib < 0 ? std::nullopt : std::optional<std::string>(std::to_string(s.mmproj_mib));
       }},
      {"draft", [](ViewState& s, const std::string& v) { return id_field(s.draft, v, "draft model"); },
       [](const ViewState& s) -> std::optional<std::string> {
         return s.draft.empty() ? std::nullopt : std::optional<std::string>(s.draft);
       }},
      bool_field("mtp", &ViewState::mtp, "MTP self-speculation", true),
      {"ncmoe",
       [](ViewState& s, const std::string& v) -> std::string {
         if (v == "auto" || v == "default") {
           s.ncmoe = -1;
           return "";
         }
         auto n = parse_whole(v, 0, 1024);
         if (!n)
           return "--n-cpu-moe must be a number of layers from 0 to 1024 or 'auto', got '" + v.substr(0, 32) + "'";
         s.ncmoe = int(*n);
         return "";
       },
       [](const ViewState& s) -> std::optional<std::string> {
         return s.ncmoe < 0 ? std::nullopt : std::optional<std::string>(std::to_string(s.ncmoe));
       }},
      {"draftq",
       [](ViewState& s, const std::string& v) -> std::string {
         auto f = ftype_from_name(v);
         if (!f) return "draft quant '" + v.substr(0, 32) + "' is not a quantisation preset";
         s.draft_quant = preset(*f).name;
         return "";
       },
       [](const ViewState& s) -> std::optional<std::string> {
         return s.draft_quant == "Q8_0" ? std::nullopt : std::optional<std::string>(s.draft_quant);
       }},
      text_field("filter", &ViewState::filter, 200),
      text_field("sort", &ViewState::sort, 64),
      bool_field("desc", &ViewState::desc, "descending sort", true),
      bool_field("fitsonly", &ViewState::fits_only, "only what fits", true),
      {"cmp",
       [](ViewState& s, const std::string& v) -> std::string {
         if (v.size() > 600) return "the compared setup is longer than 600 characters";
         ViewState probe = s;
         probe.compare = v;
         std::string err;
         compared_state(probe, err);
         if (!err.empty()) return "compared setup: " + err;
         s.compare = v;
         return "";
       },
       [](const ViewState& s) -> std::optional<std::string> {
         return s.compare.empty() ? std::nullopt : std::optional<std::string>(s.compare);
       }},
      {"at", [](ViewState& s, const std::string& v) { return id_field(s.section, v, "section"); },
       [](const ViewState& s) -> std::optional<std::string> {
         return s.section.empty() ? std::nullopt : std::optional<std::string>(s.section);
       }},
      {"cal", [](ViewState& s, const std::string& v) { return parse_calibrations(v, s.cal); },
       [](const ViewState& s) -> std::optional<std::string> {
         return s.cal.empty() ? std::nullopt : std::optional<std::string>(calibrations_text(s.cal));
       }},
      {"builds",
       [](ViewState& s, const std::string& v) -> std::string {
         if (v.empty() || v == "default") {
           s.builds.clear();
           return "";
         }
         std::vector<std::string> ids = split(v, ',');
         if (ids.size() > 8) return "builds lists more than 8 families";
         for (const auto& id : ids)
           if (!valid_id(id)) return "builds: '" + id.substr(0, 64) + "' is not a valid speed family id";
         s.builds = ids;
         return "";
       },
       [](const ViewState& s) -> std::optional<std::string> {
         return s.builds.empty() ? std::nullopt : std::optional<std::string>(join(s.builds));
       }},
      {"set",
       [](ViewState& s, const std::string& v) -> std::string {
         std::vector<std::string> entries = split(v, ',');
         if (entries.size() > 7) return "set lists more than 7 models beside the focused one";
         for (auto& e : entries) {
           const auto parts = split(e, '@');
           if (parts.size() != 3 || !valid_id(parts[0]) || !quant_key(parts[1]) ||
               !parse_whole(parts[2], 256, int64_t(1) << 26))
             return "set: '" + e.substr(0, 64) + "' is not model@quant@context (a context from 256 tokens)";
           e = parts[0] + "@" + *quant_key(parts[1]) + "@" + parts[2];
         }
         s.set = entries;
         return "";
       },
       [](const ViewState& s) -> std::optional<std::string> {
         return s.set.empty() ? std::nullopt : std::optional<std::string>(join(s.set));
       }},
      {"nodes",
       [](ViewState& s, const std::string& v) -> std::string {
         auto n = parse_whole(v, 0, 4);
         if (!n || *n == 1) return "nodes must be 2, 3 or 4 boxes (0: one box), got '" + v.substr(0, 32) + "'";
         s.nodes = int(*n);
         return "";
       },
       [](const ViewState& s) -> std::optional<std::string> {
         return s.nodes ? std::optional<std::string>(std::to_string(s.nodes)) : std::nullopt;
       }},
      {"link",
       [](ViewState& s, const std::string& v) -> std::string {
         if (!link_kind(v)) return "link '" + v.substr(0, 32) + "' is not a link kind (" + link_kind_ids() + ")";
         s.link = v;
         return "";
       },
       [](const ViewState& s) -> std::optional<std::string> {
         return s.link == ViewState{}.link ? std::nullopt : std::optional<std::string>(s.link);
       }},
      {"removed",
       [](ViewState& s, const std::string& v) -> std::string {
         std::vector<std::string> ids = split(v, ',');
         if (ids.size() > 100000) return "removed lists too many models";
         for (const auto& id : ids)
           if (!valid_id(id)) return "removed: '" + id.substr(0, 64) + "' is not a valid model id";
         s.removed = ids;
         return "";
       },
       [](const ViewState& s) -> std::optional<std::string> {
         return s.removed.empty() ? std::nullopt : std::optional<std::string>(join(s.removed));
       }},
  };
  return f;
}

const Field* find_field(std::string_view key) {
  for (const auto& f : fields())
    if (key == f.key) return &f;
  return nullptr;
}

// Custom models in a link: "j:" + percent-encoded JSON or "z:" + base64url of the LZ stream,
// whichever is shorter; nullopt if neither fits in max_bytes.
std::optional<std::string> encode_custom(const json& custom, size_t max_bytes) {
  const std::string text = custom.dump();
  std::optional<std::string> best;
  if (text.size() + 2 <= max_bytes) best = "j:" + percent_encode(text);  // never shorter than the text
  if (auto lz = lz_compress(text, max_bytes / 4 * 3)) {                  // base64 writes 4 characters per 3 bytes
    std::string packed = "z:" + base64url_encode(*lz);
    if (!best || packed.size() < best->size()) best = std::move(packed);
  }
  if (best && best->size() > max_bytes) best.reset();
  return best;
}

std::string decode_custom(const std::string& v, json& out) {
  std::optional<std::string> text;
  if (v.rfind("z:", 0) == 0) {
    auto bytes = base64url_decode(std::string_view(v).substr(2));
    if (!bytes) return "custom models: the compressed data is not valid base64url (the link may be truncated)";
    text = lz_decompress(*bytes, kMaxCustomBytes);
    if (!text) return "custom models: the compressed data is damaged or truncated";
  } else if (v.rfind("j:", 0) == 0) {
    text = v.substr(2);
  } else {
    return "custom models must start with 'j:' or 'z:'";
  }
  std::vector<Diagnostic> d;
  auto j = detail::parse_json(*text, d, "the custom-model list");
  if (!j) {
    if (d.empty()) return "custom models are not valid JSON";
    return d.front().path.empty() ? d.front().message : "custom" + d.front().path + ": " + d.front().message;
  }
  if (!j->is_array()) return "custom models must be a JSON array of models";
  out = std::move(*j);
  return "";
}

}  // namespace

std::string encode_link(const ViewState& s) { return *encode_link(s, std::string::npos); }

std::optional<std::string> encode_link(const ViewState& s, size_t max_bytes) {
  std::string out = "v=" + std::to_string(kLinkVersion);
  for (const auto& f : fields()) {
    auto v = f.write(s);
    if (v) out += std::string("&") + f.key + "=" + percent_encode(*v);
  }
  if (!s.custom.empty()) {
    out += "&custom=";
    const size_t left = max_bytes == std::string::npos ? max_bytes : max_bytes - std::min(max_bytes, out.size());
    auto custom = encode_custom(s.custom, left);
    if (!custom) return std::nullopt;
    out += *custom;
  }
  if (out.size() > max_bytes) return std::nullopt;
  return out;
}

ViewState compared_state(const ViewState& s, std::string& error) {
  ViewState b = s;
  b.compare.clear();
  error.clear();
  for (const auto& pair : split(s.compare, ';')) {
    const size_t colon = pair.find(':');
    const std::string key = pair.substr(0, colon);
    if (colon == std::string::npos) {
      error = "'" + pair.substr(0, 32) + "' is not key:value";
      return b;
    }
    if (std::none_of(std::begin(kCompareKeys), std::end(kCompareKeys), [&](const char* k) { return key == k; })) {
      error = "'" + key.substr(0, 32) + "' is not a field a compared setup can change";
      return b;
    }
    const std::string err = set_state_field(b, key, pair.substr(colon + 1));
    if (!err.empty()) {
      error = err;
      return b;
    }
  }
  return b;
}

ViewState decode_link(std::string_view fragment, std::vector<Notice>& notices) {
  ViewState s;
  if (!fragment.empty() && fragment.front() == '#') fragment.remove_prefix(1);
  if (fragment.empty()) return s;
  if (fragment.size() > kMaxLinkBytes) {
    notices.push_back({"link", "the link is longer than " + std::to_string(kMaxLinkBytes / 1024) +
                                   " KiB and was ignored; the defaults are shown"});
    return s;
  }
  if (fragment.find('=') == std::string_view::npos && valid_id(fragment)) {
    s.section = std::string(fragment);  // "#guide-gtt": a deep link, not a scenario
    return s;
  }
  bool versioned = false;
  for (const auto& part : split(std::string(fragment), '&')) {
    const size_t eq = part.find('=');
    const std::string raw_key = part.substr(0, std::min(eq, size_t(96)));
    const std::string key = percent_decode(raw_key).value_or(raw_key).substr(0, 40);
    auto value = percent_decode(eq == std::string::npos ? "" : part.substr(eq + 1));
    if (!value) {
      notices.push_back({key, "the value of '" + key + "' has a broken %-escape; the default is used"});
      continue;
    }
    if (key == "v") {
      versioned = true;
      auto v = parse_whole(*value, 1, 1000000);
      if (!v) {
        notices.push_back({"v", "the link's version '" + value->substr(0, 16) + "' is not a number"});
      } else if (*v > kLinkVersion) {
        notices.push_back({"v", "this link was made by a newer haloplan (link version " + std::to_string(*v) +
                                    "); the parts this version understands are shown"});
      }
      continue;
    }
    if (key == "custom") {
      json c;
      const std::string err = decode_custom(*value, c);
      if (!err.empty()) notices.push_back({"custom", err + "; they were left out"});
      else s.custom = std::move(c);
      continue;
    }
    const Field* f = find_field(key);
    if (!f) {
      notices.push_back({key, "unknown link part '" + key + "' was ignored"});
      continue;
    }
    const std::string err = f->read(s, *value);
    if (!err.empty()) notices.push_back({key, err + "; the default is used", err});
  }
  if (!versioned) notices.push_back({"v", "the link has no version (v=); it was read as version 1"});
  return s;
}

json state_to_json(const ViewState& s) {
  json j;
  j["v"] = kLinkVersion;
  j["machine"] = s.machine;
  j["carve"] = s.carve_out_gib ? json(*s.carve_out_gib) : json(nullptr);
  j["gtt"] = s.gtt_gib ? json(*s.gtt_gib) : json(nullptr);
  j["reserve"] = s.os_reserve_gib ? json(*s.os_reserve_gib) : json(nullptr);
  j["kernel"] = s.kernel;
  j["backend"] = s.backend;
  j["ctx"] = s.ctx;
  j["ktype"] = s.type_k;
  j["vtype"] = s.type_v;
  j["slots"] = s.slots;
  j["ckpt"] = s.ckpt;
  j["cacheram"] = s.cacheram;
  j["unified"] = s.kv_unified;
  j["fa"] = s.flash_attn;
  j["prompt"] = s.prompt;
  j["quants"] = s.quants;
  j["model"] = s.model;
  j["quant"] = s.quant;
  j["vision"] = s.vision;
  j["mmproj"] = s.mmproj_mib < 0 ? json(nullptr) : json(s.mmproj_mib);
  j["draft"] = s.draft;
  j["draftq"] = s.draft_quant;
  j["mtp"] = s.mtp;
  j["ncmoe"] = s.ncmoe < 0 ? json(nullptr) : json(s.ncmoe);
  j["filter"] = s.filter;
  j["sort"] = s.sort;
  j["desc"] = s.desc;
  j["fitsonly"] = s.fits_only;
  j["cmp"] = s.compare;
  j["at"] = s.section;
  j["custom"] = s.custom;
  j["removed"] = s.removed;
  j["set"] = s.set;
  j["nodes"] = s.nodes;
  j["link"] = s.link;
  j["cal"] = s.cal.empty() ? json(nullptr) : json(calibrations_text(s.cal));
  j["builds"] = s.builds;
  return j;
}

ViewState state_from_json(std::string_view text, std::vector<Notice>& notices) {
  ViewState s;
  std::vector<Diagnostic> d;
  auto j = detail::parse_json(text, d, "the scenario");
  if (!j || !j->is_object()) {
    notices.push_back({"state", d.empty() ? "the scenario is not a JSON object; the defaults are used"
                                          : d.front().message + "; the defaults are used"});
    return s;
  }
  for (auto it = j->begin(); it != j->end(); ++it) {
    const std::string& key = it.key();
    const json& v = it.value();
    if (key == "v") {
      if (!v.is_number_integer() || v.get<int64_t>() < 1)
        notices.push_back({"v", "the scenario's version is not a positive whole number"});
      else if (v.get<int64_t>() > kLinkVersion)
        notices.push_back({"v", "this scenario was made by a newer haloplan (version " + v.dump() +
                                    "); the parts this version understands are used"});
      continue;
    }
    if (key == "custom") {
      if (!v.is_array()) notices.push_back({"custom", "custom must be an array of models; it was left out"});
      else s.custom = v;
      continue;
    }
    const Field* f = find_field(key);
    if (!f) {
      notices.push_back({key.substr(0, 32), "unknown scenario field '" + key.substr(0, 32) + "' was ignored"});
      continue;
    }
    std::string text_value;
    if (v.is_null()) text_value = "default";
    else if (v.is_boolean()) text_value = v.get<bool>() ? "1" : "0";
    else if (v.is_number_integer()) text_value = std::to_string(v.get<int64_t>());
    else if (v.is_number()) text_value = num_text(v.get<double>());
    else if (v.is_string()) text_value = v.get<std::string>();
    else if (v.is_array()) {
      std::vector<std::string> parts;
      for (const auto& x : v) {
        if (!x.is_string()) {
          text_value = "\x01";  // rejected by every list parser below
          break;
        }
        parts.push_back(x.get<std::string>());
      }
      if (text_value.empty()) text_value = join(parts);
      if (parts.empty() && (key == "removed" || key == "builds" || key == "set")) {
        (key == "removed" ? s.removed : key == "set" ? s.set : s.builds).clear();
        continue;
      }
    } else {
      notices.push_back({key, key + " has the wrong type (" + detail::type_word(v) + "); the default is used"});
      continue;
    }
    const std::string err = f->read(s, text_value);
    if (!err.empty()) notices.push_back({key, err + "; the default is used", err});
  }
  return s;
}

std::optional<std::string> quant_key(const std::string& text) {
  if (auto f = ftype_from_name(text)) return std::string(preset(*f).name);
  const size_t colon = text.find(':');
  if (colon == std::string::npos || text.size() > 129) return std::nullopt;
  auto word = [](std::string_view w) {
    return !w.empty() && w.size() <= 64 && std::all_of(w.begin(), w.end(), [](char ch) {
      return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
             ch == '_' || ch == '-';
    });
  };
  const std::string_view t(text);
  if (!word(t.substr(0, colon)) || !word(t.substr(colon + 1))) return std::nullopt;
  return text;
}

std::string set_state_field(ViewState& s, std::string_view key, const std::string& text) {
  const Field* f = find_field(key);
  if (!f) return "unknown scenario field '" + std::string(key.substr(0, 32)) + "'";
  return f->read(s, text);
}

}  // namespace haloplan
