// Layer: view. The calculator's view as a value: machine, knobs, context, selection and the user's
// own catalog entries. It travels as a link (URL fragment) and as JSON (the page, exports, the
// CLI's --link). Broken parts of a link or a state fall back to defaults with a notice.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "haloplan/catalog/calib.h"

namespace haloplan {

constexpr int kLinkVersion = 1;
constexpr size_t kMaxLinkBytes = 256 * 1024;     // a fragment longer than this is refused
constexpr size_t kMaxCustomBytes = 1024 * 1024;  // custom models, after decompression

struct ViewState {
  std::string machine;                                           // empty: the catalog's first machine
  std::optional<double> carve_out_gib, gtt_gib, os_reserve_gib;  // empty: the machine's default
  std::string kernel;   // the Linux kernel the user states ("6.8", "older"); empty: 6.10 or newer
  std::string backend;  // backend for speed and the picture; empty: the machine's first
  int64_t ctx = 32768;
  std::string type_k = "f16", type_v = "f16";
  int slots = 1;
  int ckpt = 32;            // llama-server --ctx-checkpoints
  int64_t cacheram = 8192;  // llama-server --cache-ram, MiB (-1: no limit, 0: off)
  bool kv_unified = true;
  bool flash_attn = true;
  int64_t prompt = 4096;
  // Presets ("Q4_K_M") or published files by key ("unsloth:UD-Q4_K_XL").
  std::vector<std::string> quants = {"Q4_K_M"};  // fit and speed table columns
  std::string model;                             // focused model; empty: the first
  std::string quant = "Q4_K_M";                  // focused model's quant
  bool vision = true;                            // load a vision model's projector (--mmproj)
  int64_t mmproj_mib = -1;                       // a projector size the user states; -1: the catalog's
  std::string draft;                             // draft model id for speculative decoding; empty: none
  std::string draft_quant = "Q8_0";
  bool mtp = false;  // self-speculate with the model's MTP layers where it has them
  // A discrete GPU's llama.cpp --n-cpu-moe: layers from the first whose routed experts stay in
  // system RAM; -1: as many as VRAM needs (then whole layers, -ngl).
  int ncmoe = -1;
  // Models resident beside the focused one, each its own llama-server: "model@quant@ctx" (quant
  // a preset or a published file's key); empty: the focused model alone.
  std::vector<std::string> set;
  // The focused model over this many boxes of the state's machine and knobs, joined by llama.cpp
  // RPC (2-4); 0: one box. `link`: how they are joined (a link_kinds() id).
  int nodes = 0;
  std::string link = "10gbe";
  std::string filter;  // fit table filter text
  std::string sort;    // fit or speed table sort column (a header of either); empty: catalog order
  bool desc = false;
  bool fits_only = false;  // the fit and speed tables keep only rows that fit (as set up)
  // A second setup to compare with, as overrides of this one: "key:value" pairs joined by ';'
  // ("carve:0.5;gtt:120", "backend:llamacpp-rocm;ctx:131072"); keys from kCompareKeys.
  std::string compare;
  std::string section;                              // section to scroll to (deep link); empty: top
  nlohmann::json custom = nlohmann::json::array();  // user models, models.json entry schema
  std::vector<std::string> removed;                 // shipped model ids the user deleted
  std::vector<Calibration> cal;                     // the user's own llama-bench calibrations
  // The llama.cpp builds the user runs, as speed family ids ("vulkan-amdvlk", "rocm-2025"), at
  // most one per engine (the id's first word); an engine not named uses the catalog's default.
  std::vector<std::string> builds;
};

// Something in a link or state that could not be used; `key` names the part ("ctx", "custom").
struct Notice {
  std::string key, message;
  std::string problem = {};  // what is wrong, without what was done about it ("" : the message)
  const std::string& what_is_wrong() const { return problem.empty() ? message : problem; }
};

// The fields a compared setup may change: the machine and its memory knobs, the kernel, the
// backend and build, the context and cache, and the focused quant.
inline constexpr const char* kCompareKeys[] = {"machine", "carve", "gtt",   "reserve", "kernel", "backend", "builds",
                                               "ctx",     "ktype", "vtype", "slots",   "fa",     "unified", "quant"};

// Sets one field of the state from its text form, as a link carries it ("ctx", "32768"): ""
// when taken, else what is wrong (and the state is unchanged). The CLI's flags go through it,
// so a flag and a link refuse a value with the same words. Unknown keys are refused.
std::string set_state_field(ViewState& s, std::string_view key, const std::string& text);

// A quant as the state holds it: a preset's name (any case in, canonical out) or a published
// file's key "publisher:tag"; nullopt for anything else.
std::optional<std::string> quant_key(const std::string& text);

// Fragment without the leading '#': "v=1&machine=...&ctx=32768&...". A bare section id
// ("#guide-gtt") is a deep link into the default view.
std::string encode_link(const ViewState& s);
// The link if it is at most max_bytes long; nullopt, without encoding all of it, if not.
std::optional<std::string> encode_link(const ViewState& s, size_t max_bytes);
ViewState decode_link(std::string_view fragment, std::vector<Notice>& notices);
// The state with its compare overrides applied (not validated); "" in `error` when every one was
// taken, else what is wrong with the first that was not.
ViewState compared_state(const ViewState& s, std::string& error);

nlohmann::json state_to_json(const ViewState& s);
ViewState state_from_json(std::string_view text, std::vector<Notice>& notices);

}  // namespace haloplan
