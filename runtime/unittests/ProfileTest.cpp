//===- ProfileTest.cpp - Per-kernel profiling (gcomp --profile) -----------===//
//
// - the table parsing and the recording, through the runtime's internal
//   functions (internal.h);
// - the a + b model linked into this executable, which has no profile
//   tables;
// - fake_model_variants.c's "profile" variant, a model.so with three
//   kernels whose entry calls __gcomp_prof_begin/end as gcomp --profile's
//   code does.
//
//===----------------------------------------------------------------------===//

#include "ModelLibrary.h"
#include "internal.h"

#include "gcomp/runtime.h"

#include "gtest/gtest.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using gcomp::testing::ModelLibrary;

//===----------------------------------------------------------------------===//
// A small strict JSON parser, to check that traces are valid JSON.
//===----------------------------------------------------------------------===//

struct Json {
  enum Kind { Null, Bool, Number, String, Array, Object } kind = Null;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<Json> items;
  std::vector<std::pair<std::string, Json>> members;

  const Json *get(const std::string &key) const {
    for (const auto &[name, value] : members)
      if (name == key)
        return &value;
    return nullptr;
  }
};

class JsonParser {
public:
  explicit JsonParser(std::string text) : s(std::move(text)) {}

  // Parses the whole text; on failure returns false and sets error.
  bool parse(Json &out, std::string &error) {
    bool ok = value(out, 0) && (skipSpace(), pos == s.size());
    if (!ok)
      error = "invalid JSON at offset " + std::to_string(pos) + ": " +
              s.substr(pos, 40);
    return ok;
  }

private:
  void skipSpace() {
    while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t' ||
                              s[pos] == '\n' || s[pos] == '\r'))
      ++pos;
  }
  bool literal(const char *word) {
    size_t n = std::strlen(word);
    if (s.compare(pos, n, word) != 0)
      return false;
    pos += n;
    return true;
  }
  bool digits() {
    size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9')
      ++pos;
    return pos > start;
  }
  bool number(Json &out) {
    size_t start = pos;
    if (s[pos] == '-')
      ++pos;
    if (pos < s.size() && s[pos] == '0')
      ++pos;
    else if (!digits())
      return false;
    if (pos < s.size() && s[pos] == '.' && (++pos, !digits()))
      return false;
    if (pos < s.size() && (s[pos] == 'e' || s[pos] == 'E')) {
      ++pos;
      if (pos < s.size() && (s[pos] == '+' || s[pos] == '-'))
        ++pos;
      if (!digits())
        return false;
    }
    out.kind = Json::Number;
    out.number = std::strtod(s.substr(start, pos - start).c_str(), nullptr);
    return true;
  }
  bool string(std::string &out) {
    if (s[pos] != '"')
      return false;
    for (++pos; pos < s.size(); ++pos) {
      unsigned char c = static_cast<unsigned char>(s[pos]);
      if (c == '"') {
        ++pos;
        return true;
      }
      if (c < 0x20)
        return false;
      if (c != '\\') {
        out += static_cast<char>(c);
        continue;
      }
      if (++pos == s.size())
        return false;
      switch (s[pos]) {
      case '"':
      case '\\':
      case '/':
        out += s[pos];
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        if (pos + 4 >= s.size())
          return false;
        unsigned code = 0;
        for (int i = 1; i <= 4; ++i) {
          char h = s[pos + i];
          code = code * 16 + (h >= '0' && h <= '9'   ? h - '0'
                              : h >= 'a' && h <= 'f' ? h - 'a' + 10
                              : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                                     : 99);
          if (code > 0xffff)
            return false;
        }
        if (code >= 0x80) // only what the runtime writes: control chars
          return false;
        out += static_cast<char>(code);
        pos += 4;
        break;
      }
      default:
        return false;
      }
    }
    return false;
  }
  bool value(Json &out, int depth) {
    skipSpace();
    if (pos == s.size() || depth > 64)
      return false;
    char c = s[pos];
    if (c == '{') {
      out.kind = Json::Object;
      ++pos;
      skipSpace();
      if (pos < s.size() && s[pos] == '}')
        return ++pos, true;
      for (;;) {
        skipSpace();
        std::string key;
        if (pos == s.size() || !string(key))
          return false;
        skipSpace();
        if (pos == s.size() || s[pos++] != ':')
          return false;
        out.members.emplace_back(key, Json());
        if (!value(out.members.back().second, depth + 1))
          return false;
        skipSpace();
        if (pos == s.size())
          return false;
        if (s[pos] == '}')
          return ++pos, true;
        if (s[pos++] != ',')
          return false;
      }
    }
    if (c == '[') {
      out.kind = Json::Array;
      ++pos;
      skipSpace();
      if (pos < s.size() && s[pos] == ']')
        return ++pos, true;
      for (;;) {
        out.items.emplace_back();
        if (!value(out.items.back(), depth + 1))
          return false;
        skipSpace();
        if (pos == s.size())
          return false;
        if (s[pos] == ']')
          return ++pos, true;
        if (s[pos++] != ',')
          return false;
      }
    }
    if (c == '"') {
      out.kind = Json::String;
      return string(out.string);
    }
    if (literal("true") || literal("false")) {
      out.kind = Json::Bool;
      out.boolean = s[pos - 1] == 'e' && s[pos - 2] == 'u';
      return true;
    }
    if (literal("null"))
      return true;
    return number(out);
  }

  std::string s;
  size_t pos = 0;
};

TEST(JsonParserTest, AcceptsAndRejects) {
  Json j;
  std::string error;
  ASSERT_TRUE(JsonParser(R"( {"a":[1,-2.5e3,true,null,"x\"\u0001"],"b":{}} )")
                  .parse(j, error))
      << error;
  ASSERT_EQ(j.kind, Json::Object);
  ASSERT_NE(j.get("a"), nullptr);
  EXPECT_EQ(j.get("a")->items.size(), 5u);
  EXPECT_EQ(j.get("a")->items[1].number, -2500);
  EXPECT_TRUE(j.get("a")->items[2].boolean);
  EXPECT_EQ(j.get("a")->items[4].string, "x\"\x01");
  for (const char *bad : {"{", "[1,]", "{\"a\":1,}", "01", "1.", "\"\t\"",
                          "[1] x", "{'a':1}", "1,5"}) {
    Json k;
    EXPECT_FALSE(JsonParser(bad).parse(k, error)) << bad;
  }
}

std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string tempPath(const std::string &name) {
  return ::testing::TempDir() + "gcomp-profile-" + std::to_string(getpid()) +
         "-" + name;
}

// Parses a trace file; fails the test if it is not valid JSON or lacks
// the top-level "traceEvents" array.
Json readTrace(const std::string &path) {
  Json trace;
  std::string error;
  std::string text = readFile(path);
  EXPECT_TRUE(JsonParser(text).parse(trace, error)) << error;
  EXPECT_EQ(trace.kind, Json::Object);
  const Json *events = trace.get("traceEvents");
  EXPECT_TRUE(events && events->kind == Json::Array) << text.substr(0, 200);
  return trace;
}

// The complete ("ph":"X") events of a trace.
std::vector<const Json *> completeEvents(const Json &trace) {
  std::vector<const Json *> out;
  const Json *events = trace.get("traceEvents");
  if (!events)
    return out;
  for (const Json &e : events->items) {
    const Json *ph = e.get("ph");
    if (ph && ph->string == "X")
      out.push_back(&e);
  }
  return out;
}

//===----------------------------------------------------------------------===//
// Table parsing and recording (internal.h).
//===----------------------------------------------------------------------===//

struct ProfileDeleter {
  void operator()(gcomp_rt_profile *p) const { gcomp_rt_profile_destroy(p); }
};
using ProfilePtr = std::unique_ptr<gcomp_rt_profile, ProfileDeleter>;

// Creates a profile from tables; "" error on success.
std::string create(const int64_t *kernels, const char *names, ProfilePtr &out) {
  char err[512] = "";
  gcomp_rt_profile *p = reinterpret_cast<gcomp_rt_profile *>(1);
  gcomp_status st =
      gcomp_rt_profile_create(kernels, names, &p, err, sizeof err);
  if (st != GCOMP_OK) {
    EXPECT_EQ(p, nullptr);
    EXPECT_EQ(st, GCOMP_ERR_INTERNAL);
    return err;
  }
  out.reset(p);
  return "";
}

TEST(ProfileTablesTest, NoTables) {
  ProfilePtr p;
  EXPECT_EQ(create(nullptr, nullptr, p), "");
  EXPECT_EQ(p, nullptr);
}

TEST(ProfileTablesTest, Parse) {
  static const int64_t kernels[] = {3, 10, 0, 7};
  static const char names[] = "k0.a\0n1,n2\0k1.b\0\0k2.c\0n3";
  ProfilePtr p;
  ASSERT_EQ(create(kernels, names, p), "");
  ASSERT_NE(p, nullptr);
  ASSERT_EQ(gcomp_rt_profile_num_kernels(p.get()), 3u);
  gcomp_kernel_profile k;
  gcomp_rt_profile_kernel(p.get(), 0, &k);
  EXPECT_STREQ(k.kernel, "k0.a");
  EXPECT_STREQ(k.nodes, "n1,n2");
  EXPECT_EQ(k.flops_per_call, 10.0);
  EXPECT_EQ(k.calls, 0u);
  EXPECT_EQ(k.total_ms, 0.0);
  gcomp_rt_profile_kernel(p.get(), 1, &k);
  EXPECT_STREQ(k.kernel, "k1.b");
  EXPECT_STREQ(k.nodes, "");
  EXPECT_EQ(k.flops_per_call, 0.0);
  gcomp_rt_profile_kernel(p.get(), 2, &k);
  EXPECT_STREQ(k.kernel, "k2.c");
  EXPECT_STREQ(k.nodes, "n3");
  EXPECT_EQ(k.flops_per_call, 7.0);
}

TEST(ProfileTablesTest, NoKernels) {
  static const int64_t kernels[] = {0};
  ProfilePtr p;
  ASSERT_EQ(create(kernels, "", p), "");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(gcomp_rt_profile_num_kernels(p.get()), 0u);
}

TEST(ProfileTablesTest, Corrupt) {
  ProfilePtr p;
  static const int64_t negative[] = {-1};
  EXPECT_EQ(create(negative, "", p),
            "corrupt model profile tables: -1 kernels");
  static const int64_t huge[] = {GCOMP_RT_MAX_KERNELS + 1};
  EXPECT_EQ(create(huge, "", p), "corrupt model profile tables: " +
                                     std::to_string(GCOMP_RT_MAX_KERNELS + 1) +
                                     " kernels");
  static const int64_t two[] = {2, 1, 1};
  EXPECT_EQ(create(two, "k0\0n\0\0\0\0", p),
            "corrupt model profile tables: kernel 1 of 2 has no label (too "
            "few names?)");
  static const int64_t negativeFlops[] = {2, 1, -5};
  EXPECT_EQ(create(negativeFlops, "a\0\0b\0", p),
            "corrupt model profile tables: kernel 1 of 2 has a negative flop "
            "count");
  static const int64_t one[] = {1, 0};
  EXPECT_EQ(create(one, nullptr, p),
            "corrupt model profile tables: the model defines "
            "__gcomp_profile_kernels but not __gcomp_profile_names");
  EXPECT_EQ(create(nullptr, "a\0", p),
            "corrupt model profile tables: the model defines "
            "__gcomp_profile_names but not __gcomp_profile_kernels");
  EXPECT_EQ(p, nullptr);
}

TEST(ProfileRecordingTest, HooksOutsideARunAreIgnored) {
  // No profile is current on this thread: nothing to record into.
  __gcomp_prof_begin(0);
  __gcomp_prof_end(0);

  static const int64_t kernels[] = {1, 0};
  ProfilePtr p;
  ASSERT_EQ(create(kernels, "k\0", p), "");
  __gcomp_prof_begin(0);
  __gcomp_prof_end(0);
  gcomp_kernel_profile k;
  gcomp_rt_profile_kernel(p.get(), 0, &k);
  EXPECT_EQ(k.calls, 0u);

  gcomp_rt_profile *previous = gcomp_rt_profile_run_begin(p.get());
  EXPECT_EQ(previous, nullptr);
  __gcomp_prof_begin(0);
  __gcomp_prof_end(0);
  gcomp_rt_profile_run_end(p.get(), previous);
  __gcomp_prof_begin(0); // after the run: ignored again
  __gcomp_prof_end(0);
  gcomp_rt_profile_kernel(p.get(), 0, &k);
  EXPECT_EQ(k.calls, 1u);
}

TEST(ProfileRecordingTest, TraceCapacity) {
  static const int64_t kernels[] = {1, 2};
  ProfilePtr p;
  ASSERT_EQ(create(kernels, "k\0n\0", p), "");
  // As with GCOMP_RT_TRACE_CAPACITY, only quicker.
  const size_t capacity = 1000, calls = capacity + 10;
  gcomp_rt_profile_set_trace_capacity(p.get(), capacity);
  gcomp_rt_profile *previous = gcomp_rt_profile_run_begin(p.get());
  for (size_t i = 0; i < calls; ++i) {
    __gcomp_prof_begin(0);
    __gcomp_prof_end(0);
  }
  gcomp_rt_profile_run_end(p.get(), previous);
  // The run takes one event; the totals keep counting past the cap.
  gcomp_kernel_profile k;
  gcomp_rt_profile_kernel(p.get(), 0, &k);
  EXPECT_EQ(k.calls, calls);
  EXPECT_EQ(gcomp_rt_profile_dropped(p.get()), 11u);

  // A full trace drops the next run's event as well.
  previous = gcomp_rt_profile_run_begin(p.get());
  gcomp_rt_profile_run_end(p.get(), previous);
  EXPECT_EQ(gcomp_rt_profile_dropped(p.get()), 12u);

  std::string path = tempPath("capacity.json");
  char err[256];
  ASSERT_EQ(gcomp_rt_profile_write_trace(p.get(), path.c_str(), "test", err,
                                         sizeof err),
            GCOMP_OK)
      << err;
  Json trace = readTrace(path);
  std::remove(path.c_str());
  EXPECT_EQ(completeEvents(trace).size(), capacity);
  const Json *other = trace.get("otherData");
  ASSERT_NE(other, nullptr);
  ASSERT_NE(other->get("dropped_events"), nullptr);
  EXPECT_EQ(other->get("dropped_events")->number, 12);

  gcomp_rt_profile_reset(p.get());
  EXPECT_EQ(gcomp_rt_profile_dropped(p.get()), 0u);
  gcomp_rt_profile_kernel(p.get(), 0, &k);
  EXPECT_EQ(k.calls, 0u);
}

//===----------------------------------------------------------------------===//
// A model without profile tables (the a + b model of fake_model.c).
//===----------------------------------------------------------------------===//

TEST(ProfileWithoutTablesTest, ReportsNothing) {
  gcomp_model *m = nullptr;
  ASSERT_EQ(gcomp_model_create(&m), GCOMP_OK) << gcomp_last_error();
  EXPECT_EQ(gcomp_model_profile_num_kernels(m), 0u);

  gcomp_kernel_profile k;
  EXPECT_EQ(gcomp_model_profile_kernel(m, 0, &k), GCOMP_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(gcomp_model_last_error(m),
               "gcomp_model_profile_kernel: the model was not compiled with "
               "gcomp --profile");

  std::string path = tempPath("none.json");
  std::remove(path.c_str());
  EXPECT_EQ(gcomp_model_profile_write_trace(m, path.c_str()),
            GCOMP_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(gcomp_model_last_error(m),
               "gcomp_model_profile_write_trace: the model was not compiled "
               "with gcomp --profile, so there is no trace to write");
  EXPECT_FALSE(std::ifstream(path).good()) << "no file is created";
  gcomp_model_profile_reset(m); // a no-op

  // Running is unaffected.
  float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {}, y[6];
  int64_t n;
  const int64_t dims[2] = {2, 3};
  gcomp_tensor in[2] = {{a, sizeof a, GCOMP_DTYPE_FLOAT32, 2, dims},
                        {b, sizeof b, GCOMP_DTYPE_FLOAT32, 2, dims}};
  gcomp_tensor out[2] = {{y, sizeof y, GCOMP_DTYPE_FLOAT32, 2, dims},
                         {&n, sizeof n, GCOMP_DTYPE_INT64, 0, nullptr}};
  ASSERT_EQ(gcomp_model_run(m, in, 2, out, 2), GCOMP_OK);
  EXPECT_EQ(y[5], 6.0f);
  EXPECT_EQ(gcomp_model_profile_num_kernels(m), 0u);
  gcomp_model_destroy(m);
}

TEST(ProfileWithoutTablesTest, NullModel) {
  EXPECT_EQ(gcomp_model_profile_num_kernels(nullptr), 0u);
  gcomp_model_profile_reset(nullptr);
  gcomp_kernel_profile k;
  EXPECT_EQ(gcomp_model_profile_kernel(nullptr, 0, &k),
            GCOMP_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(gcomp_last_error(), "gcomp_model_profile_kernel: model is null");
  EXPECT_EQ(gcomp_model_profile_write_trace(nullptr, "x.json"),
            GCOMP_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(gcomp_last_error(),
               "gcomp_model_profile_write_trace: model is null");
}

//===----------------------------------------------------------------------===//
// A model compiled with --profile (fake_model_variants.c, FAKE_PROFILE):
// x: float32[4] -> y = 4 * x through kernels k0.scale, k1.add (twice per
// run, ~20 us each) and k2."q"\.
//===----------------------------------------------------------------------===//

constexpr const char *kLabel2 = "k2.\"q\"\\";

class ProfileModelTest : public gcomp::testing::ModelInstanceTest {
protected:
  ProfileModelTest() : ModelInstanceTest(GCOMP_FAKE_MODEL_PROFILE) {}

  gcomp_status run(gcomp_model *m = nullptr) {
    gcomp_tensor in = {x, sizeof x, GCOMP_DTYPE_FLOAT32, 1, kDims};
    gcomp_tensor out = {y, sizeof y, GCOMP_DTYPE_FLOAT32, 1, kDims};
    return lib.gcomp_model_run(m ? m : model, &in, 1, &out, 1);
  }
  gcomp_kernel_profile kernel(size_t i, gcomp_model *m = nullptr) {
    gcomp_kernel_profile k{};
    EXPECT_EQ(lib.gcomp_model_profile_kernel(m ? m : model, i, &k), GCOMP_OK)
        << error();
    return k;
  }
  std::vector<uint64_t> calls(gcomp_model *m = nullptr) {
    std::vector<uint64_t> out;
    for (size_t i = 0; i < 3; ++i)
      out.push_back(kernel(i, m).calls);
    return out;
  }

  static constexpr int64_t kDims[1] = {4};
  float x[4] = {1, 2, 3, 4};
  float y[4] = {};
};

constexpr int64_t ProfileModelTest::kDims[1];

TEST_F(ProfileModelTest, Kernels) {
  ASSERT_EQ(lib.gcomp_model_profile_num_kernels(model), 3u);
  gcomp_kernel_profile k = kernel(0);
  EXPECT_STREQ(k.kernel, "k0.scale");
  EXPECT_STREQ(k.nodes, "scale");
  EXPECT_EQ(k.flops_per_call, 4.0);
  EXPECT_EQ(k.calls, 0u);
  EXPECT_EQ(k.total_ms, 0.0);
  k = kernel(1);
  EXPECT_STREQ(k.kernel, "k1.add");
  EXPECT_STREQ(k.nodes, "add1,add2");
  EXPECT_EQ(k.flops_per_call, 1000.0);
  k = kernel(2);
  EXPECT_STREQ(k.kernel, kLabel2);
  EXPECT_STREQ(k.nodes, "");
  EXPECT_EQ(k.flops_per_call, 0.0);
}

TEST_F(ProfileModelTest, KernelErrors) {
  gcomp_kernel_profile k;
  EXPECT_EQ(lib.gcomp_model_profile_kernel(model, 3, &k),
            GCOMP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(error(), "gcomp_model_profile_kernel: index 3 is out of range "
                     "(the model has 3 kernels)");
  EXPECT_EQ(lib.gcomp_model_profile_kernel(model, 0, nullptr),
            GCOMP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(error(), "gcomp_model_profile_kernel: out is null");
}

TEST_F(ProfileModelTest, CountsAcrossRuns) {
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(run(), GCOMP_OK) << error();
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(y[i], 4 * x[i]);
  EXPECT_EQ(calls(), (std::vector<uint64_t>{3, 6, 3}));
  // k1.add spins for at least 20 us per call.
  EXPECT_GE(kernel(1).total_ms, 6 * 0.020);
  EXPECT_GE(kernel(0).total_ms, 0.0);

  // run_alloc records as well.
  gcomp_tensor in = {x, sizeof x, GCOMP_DTYPE_FLOAT32, 1, kDims};
  const gcomp_tensor *outs;
  size_t num_outs;
  ASSERT_EQ(lib.gcomp_model_run_alloc(model, &in, 1, &outs, &num_outs),
            GCOMP_OK);
  EXPECT_EQ(calls(), (std::vector<uint64_t>{4, 8, 4}));

  // A rejected run never reaches the code.
  in.dtype = GCOMP_DTYPE_INT32;
  EXPECT_NE(lib.gcomp_model_run_alloc(model, &in, 1, &outs, &num_outs),
            GCOMP_OK);
  EXPECT_EQ(calls(), (std::vector<uint64_t>{4, 8, 4}));
}

TEST_F(ProfileModelTest, Reset) {
  ASSERT_EQ(run(), GCOMP_OK);
  ASSERT_EQ(run(), GCOMP_OK);
  lib.gcomp_model_profile_reset(model);
  EXPECT_EQ(calls(), (std::vector<uint64_t>{0, 0, 0}));
  for (size_t i = 0; i < 3; ++i)
    EXPECT_EQ(kernel(i).total_ms, 0.0);
  ASSERT_EQ(run(), GCOMP_OK);
  EXPECT_EQ(calls(), (std::vector<uint64_t>{1, 2, 1}));
}

TEST_F(ProfileModelTest, IgnoresBadHookCalls) {
  x[0] = -1; // the fake also calls end(0) first, and ids 3 and -1
  ASSERT_EQ(run(), GCOMP_OK);
  ASSERT_EQ(run(), GCOMP_OK);
  EXPECT_EQ(calls(), (std::vector<uint64_t>{2, 4, 2}));
}

TEST_F(ProfileModelTest, InstancesAreIndependent) {
  gcomp_model *other;
  ASSERT_EQ(lib.gcomp_model_create(&other), GCOMP_OK);
  ASSERT_EQ(run(), GCOMP_OK);
  ASSERT_EQ(run(), GCOMP_OK);
  ASSERT_EQ(run(other), GCOMP_OK);
  EXPECT_EQ(calls(), (std::vector<uint64_t>{2, 4, 2}));
  EXPECT_EQ(calls(other), (std::vector<uint64_t>{1, 2, 1}));
  lib.gcomp_model_destroy(other);
}

TEST_F(ProfileModelTest, ConcurrentInstances) {
  // The current instance is per thread: two instances on two threads each
  // see only their own kernels.
  gcomp_model *other;
  ASSERT_EQ(lib.gcomp_model_create(&other), GCOMP_OK);
  auto runMany = [this](gcomp_model *m, int n) {
    float xs[4] = {1, 2, 3, 4}, ys[4];
    gcomp_tensor in = {xs, sizeof xs, GCOMP_DTYPE_FLOAT32, 1, kDims};
    gcomp_tensor out = {ys, sizeof ys, GCOMP_DTYPE_FLOAT32, 1, kDims};
    for (int i = 0; i < n; ++i)
      if (lib.gcomp_model_run(m, &in, 1, &out, 1) != GCOMP_OK)
        return;
  };
  std::thread t1(runMany, model, 20);
  std::thread t2(runMany, other, 30);
  t1.join();
  t2.join();
  EXPECT_EQ(calls(), (std::vector<uint64_t>{20, 40, 20}));
  EXPECT_EQ(calls(other), (std::vector<uint64_t>{30, 60, 30}));
  lib.gcomp_model_destroy(other);
}

// Checks a trace of `runs` runs of the fake against the counters.
void checkTrace(const Json &trace, int runs,
                const std::vector<gcomp_kernel_profile> &kernels) {
  std::vector<const Json *> events = completeEvents(trace);
  ASSERT_EQ(events.size(), static_cast<size_t>(runs * 5));

  std::vector<std::pair<double, double>> runSpans;
  std::map<std::string, int> counts;
  std::map<std::string, double> totalUs;
  for (const Json *e : events) {
    const Json *name = e->get("name"), *ts = e->get("ts"), *dur = e->get("dur");
    ASSERT_TRUE(name && name->kind == Json::String);
    ASSERT_TRUE(ts && ts->kind == Json::Number) << name->string;
    ASSERT_TRUE(dur && dur->kind == Json::Number) << name->string;
    ASSERT_NE(e->get("pid"), nullptr);
    ASSERT_NE(e->get("tid"), nullptr);
    EXPECT_GE(ts->number, 0);
    EXPECT_GE(dur->number, 0);
    ++counts[name->string];
    totalUs[name->string] += dur->number;
    if (name->string == "run") {
      runSpans.emplace_back(ts->number, ts->number + dur->number);
      continue;
    }
    const Json *args = e->get("args");
    ASSERT_TRUE(args && args->get("nodes")) << name->string;
    std::string nodes = args->get("nodes")->string;
    EXPECT_EQ(nodes, name->string == "k0.scale" ? "scale"
                     : name->string == "k1.add" ? "add1,add2"
                                                : "");
    // Inside the run that precedes it (events are in start order).
    ASSERT_FALSE(runSpans.empty()) << name->string;
    EXPECT_GE(ts->number, runSpans.back().first);
    EXPECT_LE(ts->number + dur->number, runSpans.back().second + 1e-9);
  }
  EXPECT_EQ(runSpans.front().first, 0.0) << "time 0 is the first run";
  EXPECT_EQ(counts["run"], runs);
  EXPECT_EQ(counts["k0.scale"], runs);
  EXPECT_EQ(counts["k1.add"], 2 * runs);
  EXPECT_EQ(counts[kLabel2], runs);
  // The trace's durations add up to the counters' totals (both exact ns).
  EXPECT_NEAR(totalUs["k1.add"], kernels[1].total_ms * 1000, 1e-3);
  EXPECT_NEAR(totalUs["k0.scale"], kernels[0].total_ms * 1000, 1e-3);
  EXPECT_GE(totalUs["k1.add"], 2 * runs * 20.0);

  const Json *other = trace.get("otherData");
  ASSERT_TRUE(other && other->get("dropped_events"));
  EXPECT_EQ(other->get("dropped_events")->number, 0);
  ASSERT_TRUE(other->get("producer"));
  EXPECT_EQ(other->get("producer")->string, "0.1.0-variant");
}

TEST_F(ProfileModelTest, WriteTrace) {
  std::string path = tempPath("trace.json");
  // Before any run: a valid trace without events.
  ASSERT_EQ(lib.gcomp_model_profile_write_trace(model, path.c_str()), GCOMP_OK)
      << error();
  EXPECT_TRUE(completeEvents(readTrace(path)).empty());

  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(run(), GCOMP_OK);
  ASSERT_EQ(lib.gcomp_model_profile_write_trace(model, path.c_str()), GCOMP_OK)
      << error();
  std::vector<gcomp_kernel_profile> kernels = {kernel(0), kernel(1), kernel(2)};
  {
    SCOPED_TRACE("3 runs");
    checkTrace(readTrace(path), 3, kernels);
  }

  // After a reset, only the runs since, from time 0 again.
  lib.gcomp_model_profile_reset(model);
  for (int i = 0; i < 2; ++i)
    ASSERT_EQ(run(), GCOMP_OK);
  ASSERT_EQ(lib.gcomp_model_profile_write_trace(model, path.c_str()), GCOMP_OK)
      << error();
  kernels = {kernel(0), kernel(1), kernel(2)};
  {
    SCOPED_TRACE("2 runs after a reset");
    checkTrace(readTrace(path), 2, kernels);
  }
  std::remove(path.c_str());
}

TEST_F(ProfileModelTest, WriteTraceErrors) {
  EXPECT_EQ(lib.gcomp_model_profile_write_trace(model, nullptr),
            GCOMP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(error(), "gcomp_model_profile_write_trace: path is null");
  EXPECT_EQ(
      lib.gcomp_model_profile_write_trace(model, "/nonexistent-dir/t.json"),
      GCOMP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(error(), "gcomp_model_profile_write_trace: cannot open "
                     "'/nonexistent-dir/t.json' for writing: No such file "
                     "or directory");
  if (std::ifstream("/dev/full").good()) {
    ASSERT_EQ(run(), GCOMP_OK);
    EXPECT_EQ(lib.gcomp_model_profile_write_trace(model, "/dev/full"),
              GCOMP_ERR_INTERNAL);
    EXPECT_EQ(error(), "gcomp_model_profile_write_trace: cannot write "
                       "'/dev/full': No space left on device");
  }
}

} // namespace
