// `weft run`, `weft validate` and `weft compile` on components built fresh
// by jco (tests/components): the real weft binary, on both tiers, against
// `jco run` as the reference host where both can run the program.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

struct Proc {
  int status = -1;
  std::string out, err;
};

std::string Slurp(const std::string& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in),
                     std::istreambuf_iterator<char>());
}

class ComponentRun : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    char tmpl[] = "/tmp/weft-component-run-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    tmp_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(tmp_); }

  // Runs `cmd` (a shell command line) with stdout/stderr captured.
  Proc Sh(const std::string& cmd) {
    Proc r;
    const std::string full =
        cmd + " >" + tmp_ + "/out 2>" + tmp_ + "/err </dev/null";
    const int st = std::system(full.c_str());
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    r.out = Slurp(tmp_ + "/out");
    r.err = Slurp(tmp_ + "/err");
    return r;
  }
  // weft with the tier of this test instance and a private cache.
  Proc Weft(const std::string& args) {
    return Sh("WEFT_CACHE_DIR=" + tmp_ + "/cache " + WEFT_BINARY +
              " run --tier " + GetParam() + " " + args);
  }
  Proc Jco(const std::string& args) {
    return Sh(std::string(WEFT_NODE) + " " + WEFT_JCO_JS + " run " + args);
  }
  static std::string C(const std::string& name) {
    return std::string(WEFT_COMPONENTS_DIR) + "/" + name + ".component.wasm";
  }
  std::string tmp_;
};

TEST_P(ComponentRun, HelloPrintsWhatJcoPrintsWithArgsEnvAndStatus) {
  Proc w = Weft("--env GREETING=hi " + C("hello") + " 0 two");
  ASSERT_EQ(w.status, 0) << w.err;
  EXPECT_EQ(w.out, "hello from a component: 3 args\narg 1: 0\narg 2: two\n"
                   "GREETING=hi\n");
  EXPECT_EQ(w.err, "to stderr\n");
  // jco passes its own environment through; give it the same variable.
  Proc j =
      Sh("env -i GREETING=hi PATH=/usr/bin:/bin " + std::string(WEFT_NODE) +
         " " + WEFT_JCO_JS + " run " + C("hello") + " 0 two");
  ASSERT_EQ(j.status, 0) << j.err;
  // argv[0] differs between hosts (the path as given); the rest must not.
  EXPECT_EQ(w.out, j.out);
  // A non-zero status: WASI 0.2's exit(err) is 1, in weft as in jco.
  Proc w3 = Weft(C("hello") + " 3");
  Proc j3 = Jco(C("hello") + " 3");
  EXPECT_EQ(w3.status, 1);
  EXPECT_EQ(j3.status, w3.status);
  EXPECT_EQ(j3.out, w3.out);
}

TEST_P(ComponentRun, NothingIsVisibleWithoutEnvOrDir) {
  Proc w = Weft(C("hello"));
  ASSERT_EQ(w.status, 0) << w.err;
  EXPECT_NE(w.out.find("GREETING=(unset)"), std::string::npos) << w.out;
}

TEST_P(ComponentRun, CopiesAFileThroughAPreopenAndCannotEscapeIt) {
  std::filesystem::create_directories(tmp_ + "/data");
  std::ofstream(tmp_ + "/data/in.txt") << "some bytes\n";
  Proc w = Weft("--dir " + tmp_ + "/data::/data " + C("copy") +
                " /data/in.txt /data/out.txt");
  ASSERT_EQ(w.status, 0) << w.err << w.out;
  EXPECT_EQ(Slurp(tmp_ + "/data/out.txt"), "some bytes\n");
  // Out of the preopen: refused, nothing written outside.
  Proc esc = Weft("--dir " + tmp_ + "/data::/data " + C("copy") +
                  " /data/in.txt /data/../escaped.txt");
  EXPECT_NE(esc.status, 0);
  EXPECT_FALSE(std::filesystem::exists(tmp_ + "/escaped.txt"));
}

TEST_P(ComponentRun, StdinToStdout) {
  std::ofstream(tmp_ + "/in") << "line one\nline two\n";
  Proc r;
  const std::string cmd = "WEFT_CACHE_DIR=" + tmp_ + "/cache " +
                          std::string(WEFT_BINARY) + " run --tier " +
                          GetParam() + " " + C("cat") + " <" + tmp_ + "/in >" +
                          tmp_ + "/out 2>" + tmp_ + "/err";
  const int st = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << Slurp(tmp_ + "/err");
  // cat.c upper-cases what it copies, so the guest really read it.
  EXPECT_EQ(Slurp(tmp_ + "/out"), "LINE ONE\nLINE TWO\n");
}

TEST_P(ComponentRun, ATrapIs134WithItsReasonAfterTheOutput) {
  Proc w = Weft(C("trap"));
  EXPECT_EQ(w.status, 134);
  EXPECT_EQ(w.out, "before the trap\n");
  EXPECT_NE(w.err.find("error: trap: "), std::string::npos) << w.err;
  EXPECT_NE(w.err.find("unreachable"), std::string::npos) << w.err;
}

TEST_P(ComponentRun, TheDirectCanonicalAbiCommandRuns) {
  Proc w = Weft(C("direct"));
  Proc j = Jco(C("direct"));
  EXPECT_EQ(w.status, j.status) << w.err;
  EXPECT_EQ(w.out, j.out);
  EXPECT_FALSE(w.out.empty());
}

TEST_P(ComponentRun, InvokeCallsAnExportWithTypedResults) {
  // The command's own run export, by its short name. Under --invoke the
  // guest gets no arguments, so direct.c's run returns err: printed as the
  // `result` value it is, and the call itself succeeded (exit 0).
  Proc w = Weft("--invoke run " + C("direct"));
  EXPECT_EQ(w.status, 0) << w.err;
  EXPECT_EQ(w.out, "direct:\nerr\n");
  Proc bad = Weft("--invoke nope " + C("direct"));
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.err.find("no exported function \"nope\""), std::string::npos)
      << bad.err;
  Proc args = Weft("--invoke run " + C("direct") + " 1");
  EXPECT_EQ(args.status, 1);
  EXPECT_NE(args.err.find("takes 0 argument(s) but 1 were given"),
            std::string::npos)
      << args.err;
}

TEST_P(ComponentRun, AnImportTheHostLacksIsALinkErrorNamingIt) {
  // everytype imports its own `weft:everytype/host` interface.
  Proc w = Weft("--invoke greet " + C("everytype") + " '\"x\"'");
  EXPECT_EQ(w.status, 1);
  EXPECT_NE(w.err.find("weft:everytype/host"), std::string::npos) << w.err;
  EXPECT_EQ(w.out, "");
}

INSTANTIATE_TEST_SUITE_P(Tiers, ComponentRun,
                         ::testing::Values("interp", "compiled"));

class ComponentCli : public ComponentRun {};

TEST_P(ComponentCli, ValidateCompileAndRunTheArtifact) {
  Proc v = Sh(std::string(WEFT_BINARY) + " validate " + C("hello"));
  EXPECT_EQ(v.status, 0) << v.err;
  const std::string out = tmp_ + "/hello.cwasm";
  Proc c =
      Sh(std::string(WEFT_BINARY) + " compile -o " + out + " " + C("hello"));
  ASSERT_EQ(c.status, 0) << c.err;
  // The artifact runs without the compiler plugin.
  Proc r = Sh("WEFT_LLVM_PLUGIN=/nonexistent WEFT_CACHE=off " +
              std::string(WEFT_BINARY) + " run " + out + " 0 x");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("arg 2: x"), std::string::npos) << r.out;
  // Truncated: refused with a clear error, exit 1.
  std::filesystem::resize_file(out, std::filesystem::file_size(out) / 2);
  Proc t = Sh(std::string(WEFT_BINARY) + " run " + out);
  EXPECT_EQ(t.status, 1);
  EXPECT_NE(t.err.find("invalid compiled component: truncated"),
            std::string::npos)
      << t.err;
  // --cache fills the cache for every core module: the next compiled run
  // hits for each and stores nothing.
  const std::string env = "WEFT_CACHE_DIR=" + tmp_ + "/c2 WEFT_CACHE_LOG=1 ";
  Proc k = Sh(env + WEFT_BINARY + " compile --cache " + C("hello"));
  ASSERT_EQ(k.status, 0) << k.err;
  Proc hit = Sh(env + WEFT_BINARY + " run --tier compiled " + C("hello"));
  EXPECT_EQ(hit.status, 0) << hit.err;
  EXPECT_NE(hit.err.find("weft: cache: hit "), std::string::npos) << hit.err;
  EXPECT_EQ(hit.err.find("stored"), std::string::npos) << hit.err;
}

TEST_P(ComponentCli, MalformedComponentsAreClearErrors) {
  const std::string good = Slurp(C("hello"));
  for (size_t cut : {size_t{9}, size_t{12}, good.size() / 3, good.size() - 1}) {
    const std::string p = tmp_ + "/cut.wasm";
    std::ofstream(p) << good.substr(0, cut);
    Proc v = Sh(std::string(WEFT_BINARY) + " validate " + p);
    EXPECT_EQ(v.status, 1) << cut;
    EXPECT_NE(v.err.find("cut.wasm: error: "), std::string::npos) << v.err;
    Proc r = Sh(std::string(WEFT_BINARY) + " run " + p);
    EXPECT_EQ(r.status, 1) << cut;
  }
}

INSTANTIATE_TEST_SUITE_P(Once, ComponentCli, ::testing::Values("interp"));

} // namespace
