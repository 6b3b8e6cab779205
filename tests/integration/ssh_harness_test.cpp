// The throwaway OpenSSH server the SSH tunnel's integration tests run
// against, checked with the system's ssh client.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "paths.hpp"
#include "ports.hpp"
#include "process.hpp"
#include "poll.hpp"
#include "ssh_server.hpp"

using cn::test::Child;
using cn::test::ProcessResult;
using cn::test::SshServer;
using KeyType = SshServer::KeyType;

namespace {

// Safety net for waits on ssh and sshd, which take milliseconds.
constexpr auto kSafetyTimeout = std::chrono::seconds(30);

bool contains(const std::string &text, const std::string &part) { return text.find(part) != std::string::npos; }

// The system's ssh client, trusting only known_hosts and offering only key.
// The options come first because ssh keeps the first value of an option.
std::vector<std::string> ssh(const SshServer &server, KeyType key, const std::vector<std::string> &options,
                             const std::vector<std::string> &command, const std::string &known_hosts = {}) {
  std::vector<std::string> argv = {"/usr/bin/ssh", "-F", "/dev/null"};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.insert(argv.end(), {"-i", server.private_key_path(key), "-p", std::to_string(server.port()),
                           "-o", "UserKnownHostsFile=" + (known_hosts.empty() ? server.known_hosts_file() : known_hosts),
                           "-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes",
                           "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
                           "-o", "ConnectTimeout=30", server.user() + "@" + server.host()});
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

ProcessResult run_true(const SshServer &server, KeyType key, const std::string &known_hosts = {}) {
  return cn::test::run_process(ssh(server, key, {}, {"true"}, known_hosts), {}, {}, kSafetyTimeout);
}

// Polls for what other processes do, which we can only watch.
bool eventually(const std::function<bool()> &condition) { return cn::test::poll_until(condition, kSafetyTimeout); }

// A connected socket, or -1 when nothing accepts on the loopback port.
int connect_loopback(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0) return fd;
  if (fd >= 0) ::close(fd);
  return -1;
}

bool accepts_connections(int port) {
  const int fd = connect_loopback(port);
  if (fd >= 0) ::close(fd);
  return fd >= 0;
}

// What the peer sends until it closes the connection (or the safety timeout
// passes); closed tells which.
std::string read_until_closed(int fd, bool &closed) {
  std::string text;
  closed = false;
  eventually([&] {
    pollfd readable = {fd, POLLIN, 0};
    if (::poll(&readable, 1, 100) <= 0) return false;
    char buf[4096];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) text.append(buf, static_cast<std::size_t>(n));
    closed = n == 0 || (n < 0 && errno == ECONNRESET);
    return closed;
  });
  return text;
}

// Whether a live process runs exactly argv: the users' commands are
// sshd's grandchildren, in sessions of their own.
bool running(const std::vector<std::string> &argv) {
  std::string wanted;
  for (const std::string &arg : argv) wanted += arg + '\0';
  for (const auto &entry : std::filesystem::directory_iterator("/proc"))
    if (cn::test::read_file(entry.path() / "cmdline") == wanted) return true;  // a zombie's is empty
  return false;
}

}  // namespace

TEST_CASE("the authorized ed25519 and RSA keys log in; the unauthorized key is refused") {
  SshServer server;
  for (KeyType key : {KeyType::ed25519, KeyType::rsa}) {
    const ProcessResult login = run_true(server, key);
    CHECK_MESSAGE(login.exited_with(0), login.err);
  }
  const ProcessResult refused = run_true(server, KeyType::unauthorized);
  CHECK(refused.exited_with(255));
  CHECK_MESSAGE(contains(refused.err, "Permission denied (publickey)"), refused.err);

  const std::string log = server.log();
  CHECK(contains(log, "Accepted publickey for " + server.user() + " from 127.0.0.1"));
  CHECK(contains(log, "ssh2: ED25519 SHA256:"));
  CHECK(contains(log, "ssh2: RSA SHA256:"));
}

TEST_CASE("the passphrase-protected key is authorized and opens with passphrase()") {
  SshServer server;
  cn::test::TempDir dir;
  const std::string askpass = dir / "askpass";
  {
    std::ofstream script(askpass);
    script << "#!/bin/sh\necho '" << server.passphrase() << "'\n";
  }
  ::chmod(askpass.c_str(), 0700);
  const ProcessResult login =
      cn::test::run_process(ssh(server, KeyType::ed25519_with_passphrase, {"-o", "BatchMode=no"}, {"true"}), {},
                            {{"SSH_ASKPASS", askpass}, {"SSH_ASKPASS_REQUIRE", "force"}, {"DISPLAY", ":0"}},
                            kSafetyTimeout);
  CHECK_MESSAGE(login.exited_with(0), login.err);
  CHECK_FALSE(contains(server.log(), server.passphrase()));

  // Without the passphrase the key cannot be read at all.
  const ProcessResult locked = run_true(server, KeyType::ed25519_with_passphrase);
  CHECK(locked.exited_with(255));
}

TEST_CASE("private keys come as files, as text, and as one line of base64") {
  SshServer server;
  for (KeyType key : {KeyType::ed25519, KeyType::rsa, KeyType::unauthorized, KeyType::ed25519_with_passphrase}) {
    const std::string text = server.private_key(key);
    CHECK(text.rfind("-----BEGIN OPENSSH PRIVATE KEY-----\n", 0) == 0);
    CHECK(text == cn::test::read_file(server.private_key_path(key)));
    const std::string base64 = server.private_key_base64(key);
    CHECK_FALSE(contains(base64, "\n"));
    const ProcessResult decoded = cn::test::run_process({"/usr/bin/base64", "-d"}, base64);
    CHECK(decoded.exited_with(0));
    CHECK(decoded.out == text);
  }
  CHECK(server.private_key(KeyType::ed25519) != server.private_key(KeyType::unauthorized));
}

TEST_CASE("the host key fingerprint and the known_hosts files") {
  SshServer server;
  const std::string fingerprint = server.host_key_sha256();
  CHECK(fingerprint.rfind("SHA256:", 0) == 0);
  CHECK(fingerprint.size() == 7 + 43);  // unpadded base64 of 32 bytes
  const std::string entry = "[127.0.0.1]:" + std::to_string(server.port());

  const ProcessResult listed =
      cn::test::run_process({"/usr/bin/ssh-keygen", "-l", "-E", "sha256", "-f", server.known_hosts_file()});
  CHECK(listed.out == "256 " + fingerprint + " " + entry + " (ED25519)\n");
  CHECK(cn::test::read_file(server.known_hosts_file()).rfind(entry + " ssh-ed25519 ", 0) == 0);

  const std::string other = server.other_known_hosts_file();
  CHECK(other == server.other_known_hosts_file());
  CHECK(cn::test::read_file(other).rfind(entry + " ssh-ed25519 ", 0) == 0);
  CHECK_FALSE(contains(cn::test::run_process({"/usr/bin/ssh-keygen", "-l", "-E", "sha256", "-f", other}).out,
                       fingerprint));
  const ProcessResult changed = run_true(server, KeyType::ed25519, other);
  CHECK(changed.exited_with(255));
  CHECK_MESSAGE(contains(changed.err, "REMOTE HOST IDENTIFICATION HAS CHANGED"), changed.err);
}

TEST_CASE("kill9() breaks every session and forwarded connection; start() serves again on the same port and key") {
  SshServer server;
  const int forwarded_port = cn::test::free_loopback_port();
  // Forwarded to sshd itself, whose banner shows the forwarding works.
  Child tunnel(ssh(server, KeyType::ed25519,
                   {"-N", "-o", "ExitOnForwardFailure=yes", "-L",
                    "127.0.0.1:" + std::to_string(forwarded_port) + ":127.0.0.1:" + std::to_string(server.port())},
                   {}));
  const std::vector<std::string> command = {"sleep", "61.2345"};  // a duration nothing else sleeps
  Child session(ssh(server, KeyType::ed25519, {}, command));

  int forwarded = -1;
  REQUIRE(eventually([&] { return (forwarded = connect_loopback(forwarded_port)) >= 0; }));
  std::string banner;
  REQUIRE(eventually([&] {
    char buf[256];
    const ssize_t n = ::recv(forwarded, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) banner.append(buf, static_cast<std::size_t>(n));
    return contains(banner, "\n");
  }));
  CHECK(banner.rfind("SSH-2.0-OpenSSH", 0) == 0);
  REQUIRE(eventually([&] { return running(command); }));

  const auto killed_at = std::chrono::steady_clock::now();
  server.kill9();
  CHECK_FALSE(accepts_connections(server.port()));
  CHECK_FALSE(running(command));  // the user's command, in a session of its own, died too
  const ProcessResult tunnel_end = tunnel.wait(kSafetyTimeout);
  const ProcessResult session_end = session.wait(kSafetyTimeout);
  CHECK_MESSAGE(tunnel_end.exited_with(255), tunnel_end.err);
  CHECK_MESSAGE(session_end.exited_with(255), session_end.err);
  bool closed = false;
  read_until_closed(forwarded, closed);
  CHECK(closed);
  ::close(forwarded);
  // Broken at once, not found dead by a keepalive much later.
  CHECK(std::chrono::steady_clock::now() - killed_at < std::chrono::seconds(5));

  server.kill9();  // nothing left to kill
  server.start();
  const ProcessResult again = run_true(server, KeyType::ed25519);  // the same known_hosts: port and key
  CHECK_MESSAGE(again.exited_with(0), again.err);
  CHECK_THROWS_AS(server.start(), std::logic_error);
}

TEST_CASE("start() fails, with sshd's reason, when another process took the port") {
  SshServer server;
  server.kill9();
  const int squatter = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(squatter >= 0);
  const int on = 1;
  ::setsockopt(squatter, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);  // past the killed connections' TIME_WAIT
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(server.port()));
  REQUIRE(::bind(squatter, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0);
  REQUIRE(::listen(squatter, 1) == 0);
  try {
    server.start();
    FAIL("start() succeeded on a taken port");
  } catch (const std::runtime_error &error) {
    CHECK_MESSAGE(contains(error.what(), "Address already in use"), error.what());
  }
  ::close(squatter);
  server.start();
  const ProcessResult login = run_true(server, KeyType::ed25519);
  CHECK_MESSAGE(login.exited_with(0), login.err);
}
