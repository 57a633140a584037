// What sits at a path the runner reads (tests/vectors/hostile_files, shared with pytest's
// tests/runtime/test_hostile_files.py): every door gives the verdict the vectors name, at once.
// Special files cannot live in git: each case's recipe is carried out in a scratch folder.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "check.hpp"
#include "quakesat/artifact.hpp"
#include "quakesat/manifest.hpp"
#include "quakesat/npy.hpp"
#include "quakesat/tile_list.hpp"

namespace {

using namespace quakesat;
using quakesat_test::expect;
namespace fs = std::filesystem;

struct Door {
  const char* name;  // the file the door reads in the scratch folder
  const char* good;  // the good file it holds when regular ("" for none)
};

Door door_of(const std::string& door) {
  if (door == "image") return {"post.npy", "good.npy"};
  if (door == "list") return {"tiles.jsonl", "good_list.jsonl"};
  if (door == "signature") return {"manifest.json.sig", "good.sig"};
  if (door == "key") return {"signing.pub", "good.pub"};
  if (door == "artifact") return {"model.bin", "good.npy"};
  return {"manifest.json", ""};
}

// The case's recipe in `scratch`; returns the path as the door is given it.
std::string materialise(const nlohmann::json& c, const std::string& vectors, const fs::path& scratch) {
  const Door door = door_of(c.at("door"));
  const fs::path target = scratch / door.name;
  const std::string make = c.at("make");
  if (c.at("door") == "signature") fs::copy_file(vectors + "/signed_manifest.json", scratch / "manifest.json");
  if (make == "regular" || make == "trailing_slash" || make == "trailing_dot") {
    fs::copy_file(vectors + "/" + door.good, target);
  } else if (make.rfind("file:", 0) == 0) {
    fs::copy_file(vectors + "/" + make.substr(5), target);
  } else if (make == "symlink") {
    fs::copy_file(vectors + "/" + door.good, scratch / "real");
    fs::create_symlink("real", target);
  } else if (make == "fifo") {
    ::mkfifo(target.c_str(), 0600);
  } else if (make == "directory") {
    fs::create_directory(target);
  } else if (make == "dev_zero" || make == "dev_null") {
    fs::create_symlink(make == "dev_zero" ? "/dev/zero" : "/dev/null", target);
  } else if (make == "dangling_symlink") {
    fs::create_symlink("nowhere", target);
  } else if (make == "overclaim") {
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (12000, 12000, 2), }";
    header += std::string(117 - header.size(), ' ') + "\n";  // 10 + 118 = 128 bytes before the data
    std::ofstream out(target, std::ios::binary);
    out << "\x93NUMPY\x01" << '\0' << static_cast<char>(header.size()) << '\0' << header;
    out.close();
    fs::resize_file(target, 128 + 12000ull * 12000ull * 2 * 4);  // a hole: no disk
  } else if (make == "sparse") {
    std::ofstream(target, std::ios::binary).close();
    fs::resize_file(target, std::uintmax_t{17} << 20);
  }
  std::string path = target.string();
  if (make == "trailing_slash") path += "/";
  if (make == "trailing_dot") path += "/.";
  return path;
}

std::string verdict(const nlohmann::json& c, const std::string& vectors, const std::string& path,
                    const fs::path& scratch) {
  const std::string door = c.at("door");
  std::string detail;
  if (door == "image") {
    std::vector<float> buffer(8 * 8 * 2);
    NpyImage image;
    return code_name(read_npy_image(path.c_str(), 8, buffer.data(), image));
  }
  if (door == "list") {
    TileListReader reader;
    if (!reader.open(path, detail)) return "refused";
    TileEntry entry;
    while (reader.next(entry)) {
    }
    return "ok";
  }
  if (door == "key") {
    std::vector<unsigned char> key;
    return read_public_key(path, key, detail) ? "ok" : "refused";
  }
  if (door == "signature") {
    std::vector<unsigned char> key;
    expect(read_public_key(vectors + "/good.pub", key, detail), "the good public key reads");
    return verify_manifest_signature(scratch.string(), key, detail) == Status::kOk ? "ok" : "manifest_invalid";
  }
  if (door == "artifact") {
    const std::string digest = sha256_file(path);
    if (digest.empty()) return "refused";
    return digest == sha256_file(vectors + "/good.npy") ? "ok" : "wrong digest";
  }
  Manifest manifest;
  return code_name(load_manifest(scratch.string(), "", manifest, detail));
}

}  // namespace

int main(int argc, char** argv) {
  const std::string vectors = quakesat_test::vectors_dir(argc, argv) + "/hostile_files";
  const fs::path root = fs::temp_directory_path() / ("quakesat_test_files_" + std::to_string(::getpid()));
  fs::remove_all(root);
  int checked = 0;
  for (const nlohmann::json& c : quakesat_test::read_jsonl(vectors + "/cases.jsonl")) {
    const fs::path scratch = root / c.at("name").get<std::string>();
    fs::create_directories(scratch);
    const std::string path = materialise(c, vectors, scratch);
    const std::string got = verdict(c, vectors, path, scratch);
    expect(got == c.at("expected").get<std::string>(),
           c.at("name").get<std::string>() + ": " + got + ", expected " + c.at("expected").get<std::string>());
    ++checked;
  }
  fs::remove_all(root);
  expect(checked >= 80, "at least 80 hostile-file cases read");
  std::printf("%d hostile-file cases: %s\n", checked, quakesat_test::failures ? "FAILED" : "ok");
  return quakesat_test::failures ? 1 : 0;
}
