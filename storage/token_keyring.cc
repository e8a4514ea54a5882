#include "storage/token_keyring.h"

#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "spdlog/spdlog.h"
#include "storage/secrets.h"

namespace latchkey {
namespace {

constexpr uint8_t kGeneratedKid = 1;
constexpr size_t kGeneratedKeyBytes = 32;

EVP_MAC* HmacAlgorithm() {
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return mac;
}

// Creates `path` holding `text`, readable by its owner only, all or nothing and durably: a temporary
// file is written and synced, renamed into place, and the directory synced.
Status CreatePrivateFile(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IoError("cannot create " + tmp + ": " + std::strerror(errno));
  bool ok = ::fchmod(fd, 0600) == 0 &&  // O_CREAT keeps the mode of a leftover file
            ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  ok = ok && ::rename(tmp.c_str(), path.c_str()) == 0;
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int dir_fd = ok ? ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  ok = ok && dir_fd >= 0 && ::fsync(dir_fd) == 0;
  if (dir_fd >= 0) ::close(dir_fd);
  if (!ok) {
    const std::string error = std::strerror(errno);
    ::unlink(tmp.c_str());
    return Status::IoError("cannot write " + path + ": " + error);
  }
  return Status::Ok();
}

}  // namespace

struct TokenKeyring::MacContext {
  EVP_MAC_CTX* keyed = nullptr;
  uint64_t serial = 0;  // unique across every key ever added: names this key in the threads' caches
  ~MacContext() { EVP_MAC_CTX_free(keyed); }
};

namespace {

std::atomic<uint64_t> next_mac_serial{1};

// Each thread's own copies of keyed HMAC contexts, by serial: re-initialising a context with the key
// it already holds costs far less than copying the template for every tag. Holds a few keys at most
// (the oldest is dropped), so copies of keys of destroyed keyrings do not pile up.
class ThreadMacCache {
 public:
  ~ThreadMacCache() {
    for (auto& [serial, ctx] : entries_) EVP_MAC_CTX_free(ctx);
  }
  EVP_MAC_CTX* Get(uint64_t serial, const EVP_MAC_CTX* keyed) {
    for (auto& [s, ctx] : entries_) {
      if (s == serial) return EVP_MAC_init(ctx, nullptr, 0, nullptr) == 1 ? ctx : nullptr;
    }
    if (entries_.size() == kMaxEntries) {
      EVP_MAC_CTX_free(entries_.front().second);
      entries_.erase(entries_.begin());
    }
    EVP_MAC_CTX* copy = EVP_MAC_CTX_dup(keyed);
    if (copy != nullptr) entries_.emplace_back(serial, copy);
    return copy;
  }

 private:
  static constexpr size_t kMaxEntries = 8;
  std::vector<std::pair<uint64_t, EVP_MAC_CTX*>> entries_;
};

}  // namespace

TokenKeyring::~TokenKeyring() = default;

Status TokenKeyring::Add(uint8_t kid, std::string_view key) {
  if (key.size() < kMinKeyBytes || key.size() > kMaxKeyBytes) {
    return Status::Err("rtoken key " + std::to_string(kid) +
                       " must be 16 to 64 bytes (32 to 128 hex digits)");
  }
  if (macs_[kid] != nullptr) return Status::Err("rtoken key id " + std::to_string(kid) + " given twice");
  auto context = std::make_unique<MacContext>();
  context->keyed = HmacAlgorithm() != nullptr ? EVP_MAC_CTX_new(HmacAlgorithm()) : nullptr;
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
  if (context->keyed == nullptr ||
      EVP_MAC_init(context->keyed, reinterpret_cast<const unsigned char*>(key.data()), key.size(), params) !=
          1) {
    return Status::Err("HMAC-SHA256 is not available");
  }
  context->serial = next_mac_serial.fetch_add(1);
  macs_[kid] = std::move(context);
  if (empty_) signing_kid_ = kid;
  empty_ = false;
  return Status::Ok();
}

Status TokenKeyring::Parse(std::string_view words, std::unique_ptr<TokenKeyring>* out) {
  auto keyring = std::make_unique<TokenKeyring>();
  std::istringstream in{std::string(words)};
  std::string word;
  while (in >> word) {
    const size_t colon = word.find(':');
    int kid = -1;
    if (colon != std::string::npos && colon > 0 && colon <= 3 &&
        word.find_first_not_of("0123456789") == colon) {
      kid = std::atoi(word.substr(0, colon).c_str());
    }
    std::string key;
    if (kid < 0 || kid > 255 || !DecodeHex(std::string_view(word).substr(colon + 1), &key)) {
      return Status::Err("rtoken-keys expects words kid:hex with kid 0-255 and an even number of hex digits");
    }
    Status s = keyring->Add(static_cast<uint8_t>(kid), key);
    if (!s.ok()) return s;
  }
  if (keyring->empty_) return Status::Err("rtoken-keys names no key");
  *out = std::move(keyring);
  return Status::Ok();
}

Status TokenKeyring::LoadOrCreate(const std::string& dir, bool may_create,
                                  std::unique_ptr<TokenKeyring>* out) {
  const std::string path = (std::filesystem::path(dir) / kFileName).string();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (!may_create) {
      return Status::Err(path +
                         " is missing but the data holds refresh-token families: a new key would make " +
                         "every outstanding token invalid. Restore the file, or set rtoken-keys");
    }
    const std::string line =
        std::to_string(kGeneratedKid) + ":" + EncodeHex(RandomBytes(kGeneratedKeyBytes)) + "\n";
    Status s = CreatePrivateFile(path, line);
    if (!s.ok()) return s;
    spdlog::info("generated a refresh-token signing key in {} (keep it with the data)", path);
  }
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0 && (info.st_mode & 077) != 0) {
    spdlog::warn("{} is readable by others than its owner (mode {:o}); it holds signing keys", path,
                 info.st_mode & 0777);
  }
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  if (!file) return Status::IoError("cannot read " + path);
  Status s = Parse(text.str(), out);
  if (!s.ok()) return Status::Err(path + ": " + s.message());
  return Status::Ok();
}

void TokenKeyring::Tag(uint8_t kid, std::string_view data, uint8_t* tag) const {
  thread_local ThreadMacCache cache;
  EVP_MAC_CTX* ctx = cache.Get(macs_[kid]->serial, macs_[kid]->keyed);
  unsigned char mac[32];
  size_t length = 0;
  if (ctx == nullptr ||
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
      EVP_MAC_final(ctx, mac, &length, sizeof(mac)) != 1 || length != sizeof(mac)) {
    spdlog::critical("HMAC-SHA256 failed");
    std::abort();
  }
  std::memcpy(tag, mac, 16);
}

}  // namespace latchkey
