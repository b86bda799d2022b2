// The oracle: llama.cpp itself (the prebuilt libllama of the release pinned in bench/oracle/VERSION)
// answering the questions haloplan's planner answers, on a GGUF file whose data is sparse. It links
// only llama.cpp; bench/conformance compares its answers with the planner's.
//
//   oracle quantize FILE FTYPE...   llama_model_quantize with dry_run for each llama_ftype number:
//                                   one JSON line per ftype, {"ftype", "total", "tensors": [[name, type]]}
//   oracle load FILE [SETTING...]   llama_model_load_from_file with no_alloc, then one context per
//                                   SETTING "ctx,slots,type_k,type_v,fa,unified,ubatch": one JSON object
//                                   with the tensor totals and, per setting, llama.cpp's memory breakdown
//   oracle load-mtp FILE [SETTING...]  the same with the MTP/NextN layers loaded (load_mtp), as
//                                   llama-server loads for --spec-type draft-mtp: per setting the
//                                   target context (rollback snapshots n_rs_seq = the draft's n_max, 3)
//                                   and then the MTP context (ctx_type MTP, f16 caches), under "mtp"
//
// A refusal (llama.cpp cannot read the file or the setting) prints {"error": "<llama.cpp's message>"}
// and exits 1. Built by scripts/oracle with the system's g++; nlohmann/json writes the output.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ggml-backend.h"
#include "ggml.h"
#include "llama-ext.h"
#include "llama.h"

namespace {

std::string g_log;    // everything llama.cpp logged since the last clear
std::string g_error;  // the first message logged at error level since the last clear

void capture(ggml_log_level level, const char* text, void*) {
  static ggml_log_level last = GGML_LOG_LEVEL_INFO;
  if (level == GGML_LOG_LEVEL_CONT) level = last;  // a continuation keeps its line's level
  last = level;
  if (level == GGML_LOG_LEVEL_DEBUG) return;
  g_log += text;
  if (level == GGML_LOG_LEVEL_ERROR && g_error.empty()) g_error = text;
}

std::vector<std::string> log_lines() {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < g_log.size()) {
    size_t end = g_log.find('\n', start);
    if (end == std::string::npos) end = g_log.size();
    out.push_back(g_log.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// The first error llama.cpp logged since the last clear (the cause; later ones report failure).
std::string last_error() {
  std::string e = g_error;
  while (!e.empty() && (e.back() == '\n' || e.back() == ' ')) e.pop_back();
  return e.empty() ? "llama.cpp refused without a message" : e;
}

[[noreturn]] void refuse(const std::string& what) {
  std::printf("%s\n", nlohmann::json{{"error", what}}.dump().c_str());
  std::exit(1);
}

int type_by_name(const std::string& name) {
  for (int t = 0; t < GGML_TYPE_COUNT; ++t) {
    const char* n = ggml_type_name(static_cast<ggml_type>(t));
    if (n && name == n && ggml_type_size(static_cast<ggml_type>(t)) > 0) return t;
  }
  return -1;
}

std::string trim(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  return s.substr(i);
}

// One tensor line of the dry run:
//   "[  12/ 291]  blk.0.attn_v.weight  - [ 4096,  1024,  1,  1], type =    f16, size = 8.00 MiB -> 2.25 MiB (q4_K)"
// or, when the type stays, "... type =    f32, size =    0.016 MiB".
bool parse_quant_line(const std::string& l, nlohmann::json& out) {
  if (l.size() < 3 || l[0] != '[') return false;
  const size_t close = l.find("] ");
  const size_t dash = l.find(" - [", close);
  const size_t shape_end = l.find("], type = ", dash);
  if (close == std::string::npos || dash == std::string::npos || shape_end == std::string::npos) return false;
  const std::string name = trim(l.substr(close + 2, dash - close - 2));
  int64_t ne[4] = {1, 1, 1, 1};
  {
    std::string shape = l.substr(dash + 4, shape_end - dash - 4);
    size_t pos = 0;
    for (int d = 0; d < 4 && pos < shape.size(); ++d) {
      ne[d] = std::strtoll(shape.c_str() + pos, nullptr, 10);
      const size_t comma = shape.find(',', pos);
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
  }
  const size_t type_at = shape_end + 10;
  const size_t type_end = l.find(',', type_at);
  std::string type = trim(l.substr(type_at, type_end - type_at));
  if (!l.empty() && l.back() == ')') {
    const size_t open = l.rfind('(');
    type = l.substr(open + 1, l.size() - open - 2);
  }
  const int t = type_by_name(type);
  if (t < 0) return false;
  const size_t bytes = ggml_row_size(static_cast<ggml_type>(t), ne[0]) * size_t(ne[1] * ne[2] * ne[3]);
  out.push_back({name, type, bytes, {ne[0], ne[1], ne[2], ne[3]}});
  return true;
}

int quantize(const char* file, int argc, char** argv) {
  for (int i = 0; i < argc; ++i) {
    llama_model_quantize_params q = llama_model_quantize_default_params();
    q.ftype = static_cast<llama_ftype>(std::atoi(argv[i]));
    q.dry_run = true;
    q.nthread = 1;
    g_log.clear();
    g_error.clear();
    if (llama_model_quantize(file, "/dev/null", &q) != 0) refuse(last_error());
    nlohmann::json tensors = nlohmann::json::array();
    uint64_t total = 0;
    for (const auto& l : log_lines())
      if (parse_quant_line(l, tensors)) total += tensors.back()[2].get<uint64_t>();
    if (tensors.empty()) refuse("the dry run printed no tensor lines");
    std::printf("%s\n", nlohmann::json{{"ftype", q.ftype}, {"total", total}, {"tensors", tensors}}.dump().c_str());
  }
  return 0;
}

// "ctx,slots,type_k,type_v,fa,unified,ubatch" as one context's parameters.
llama_context_params context_params(const std::string& s) {
  std::vector<std::string> f;
  size_t start = 0;
  while (true) {
    const size_t c = s.find(',', start);
    f.push_back(s.substr(start, c == std::string::npos ? std::string::npos : c - start));
    if (c == std::string::npos) break;
    start = c + 1;
  }
  if (f.size() != 7) refuse("a setting is ctx,slots,type_k,type_v,fa,unified,ubatch; got '" + s + "'");
  llama_context_params p = llama_context_default_params();
  p.n_ctx = uint32_t(std::atoi(f[0].c_str()));
  p.n_seq_max = uint32_t(std::atoi(f[1].c_str()));
  const int tk = type_by_name(f[2]), tv = type_by_name(f[3]);
  if (tk < 0 || tv < 0) refuse("unknown cache type in '" + s + "'");
  p.type_k = static_cast<ggml_type>(tk);
  p.type_v = static_cast<ggml_type>(tv);
  p.flash_attn_type = f[4] == "1" ? LLAMA_FLASH_ATTN_TYPE_ENABLED : LLAMA_FLASH_ATTN_TYPE_DISABLED;
  p.kv_unified = f[5] == "1";
  p.n_ubatch = uint32_t(std::atoi(f[6].c_str()));
  p.n_batch = std::max<uint32_t>(p.n_ubatch, 2048);
  p.swa_full = false;  // as llama-server runs (common.h), not the library default
  p.n_threads = p.n_threads_batch = 1;
  return p;
}

bool g_mtp = false;  // load-mtp: the model holds its MTP layers; each setting also makes the MTP context

// A context's memory breakdown summed over buffer types, and the log lines that say what it holds.
nlohmann::json breakdown(llama_context* ctx) {
  nlohmann::json s;
  uint64_t model_b = 0, context_b = 0, compute_b = 0;
  for (const auto& [buft, mb] : llama_get_memory_breakdown(ctx)) {
    model_b += mb.model;
    context_b += mb.context;
    compute_b += mb.compute;
  }
  s["model"] = model_b;
  s["context"] = context_b;
  s["compute"] = compute_b;
  s["n_ctx"] = llama_n_ctx(ctx);
  nlohmann::json lines = nlohmann::json::array();
  for (const auto& l : log_lines())
    if (l.find("size =") != std::string::npos || l.find("output buffer") != std::string::npos ||
        l.find("compute buffer") != std::string::npos || l.find("n_ctx") != std::string::npos)
      lines.push_back(trim(l));
  s["log"] = lines;
  return s;
}

// One context at a setting, as JSON: llama.cpp's memory breakdown summed over buffer types,
// and the log lines that say what the context holds.
std::string context_answer(llama_model* model, const char* setting) {
  g_log.clear();
  g_error.clear();
  llama_context_params tp = context_params(setting);
  // common.cpp: a target with an MTP draft keeps n_rs_seq = draft.n_max recurrent snapshots.
  if (g_mtp) tp.n_rs_seq = 3;
  llama_context* ctx = llama_init_from_model(model, tp);
  nlohmann::json s = {{"setting", setting}};
  if (!ctx) {
    s["error"] = last_error();
    return s.dump();
  }
  if (g_mtp) {
    nlohmann::json target = breakdown(ctx);
    // common_speculative_init_result: the MTP context takes the target's size with the draft's
    // cache types (f16 by default) and no snapshots.
    llama_context_params mp = context_params(setting);
    mp.ctx_type = LLAMA_CONTEXT_TYPE_MTP;
    mp.type_k = mp.type_v = GGML_TYPE_F16;
    mp.n_ctx = llama_n_ctx(ctx);
    mp.n_rs_seq = 0;
    mp.ctx_other = ctx;
    g_log.clear();
    g_error.clear();
    llama_context* mctx = llama_init_from_model(model, mp);
    target["setting"] = setting;
    if (!mctx) target["mtp"] = {{"error", last_error()}};
    else {
      target["mtp"] = breakdown(mctx);
      llama_free(mctx);
    }
    llama_free(ctx);
    return target.dump();
  }
  s.update(breakdown(ctx));
  llama_free(ctx);
  return s.dump();
}

int load(const char* file, int argc, char** argv) {
  llama_model_params mp = llama_model_default_params();
  mp.no_alloc = true;
  mp.load_mode = LLAMA_LOAD_MODE_NONE;  // the mmap path does not take no_alloc
  mp.use_extra_bufts = false;
  mp.load_mtp = g_mtp;
  g_log.clear();
  g_error.clear();
  llama_model* model = llama_model_load_from_file(file, mp);
  if (!model) refuse(last_error());
  nlohmann::json out = {
      {"n_params", llama_model_n_params(model)},
      {"model_bytes", llama_model_size(model)},
  };
  char desc[256];
  llama_model_desc(model, desc, sizeof desc);
  out["desc"] = desc;
  // Each context is made in a child process: an abort inside llama.cpp (a graph it cannot
  // reserve) costs that setting, reported as such, not the model's other answers.
  nlohmann::json settings = nlohmann::json::array();
  for (int i = 0; i < argc; ++i) {
    int fds[2];
    if (pipe(fds) != 0) refuse("pipe failed");
    std::fflush(stdout);
    const pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      const std::string answer = context_answer(model, argv[i]);
      ssize_t done = 0;
      while (done < ssize_t(answer.size())) {
        const ssize_t w = write(fds[1], answer.data() + done, answer.size() - size_t(done));
        if (w <= 0) break;
        done += w;
      }
      _exit(0);
    }
    close(fds[1]);
    std::string text;
    char buf[4096];
    ssize_t r;
    while ((r = read(fds[0], buf, sizeof buf)) > 0) text.append(buf, size_t(r));
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !WIFEXITED(status))
      j = {{"setting", argv[i]},
           {"aborted", "llama.cpp aborted while creating this context (signal " +
                           std::to_string(WIFSIGNALED(status) ? WTERMSIG(status) : 0) + ")"}};
    settings.push_back(j);
  }
  out["settings"] = settings;
  std::printf("%s\n", out.dump().c_str());
  llama_model_free(model);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: oracle quantize FILE FTYPE... | oracle load FILE [ctx,slots,tk,tv,fa,unified,ubatch]...\n");
    return 2;
  }
  setenv("GGML_NO_BACKTRACE", "1", 1);  // an abort in a child must not print a gdb trace into the answer
  llama_log_set(capture, nullptr);
  // The baseline x86-64 CPU backend, in lib/ next to the program (scripts/oracle puts it there):
  // the answers do not depend on the machine, and one backend loads faster than all of them.
  std::string dir = "lib";
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = 0;
    std::string exe(self);
    dir = exe.substr(0, exe.rfind('/') + 1) + "lib";
  }
  if (!ggml_backend_load((dir + "/libggml-cpu-x64.so").c_str())) ggml_backend_load_all_from_path(dir.c_str());
  llama_backend_init();
  if (!std::strcmp(argv[1], "quantize")) return quantize(argv[2], argc - 3, argv + 3);
  if (!std::strcmp(argv[1], "load")) return load(argv[2], argc - 3, argv + 3);
  if (!std::strcmp(argv[1], "load-mtp")) {
    g_mtp = true;
    return load(argv[2], argc - 3, argv + 3);
  }
  std::fprintf(stderr, "oracle: unknown command '%s'\n", argv[1]);
  return 2;
}
