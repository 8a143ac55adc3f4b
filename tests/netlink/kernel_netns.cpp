// The real kernel agrees: three network namespaces (sender, transit,
// receiver). The sender sets a hop-by-hop header built by our encoder with
// IPV6_HOPOPTS; the transit and receiver kernels fill their node data and
// emit IOAM6 TRACE events, which we decode with include/ioam/netlink and
// check against the sysctls and namespace data configured here. The
// receiver also reads the final hop-by-hop header (IPV6_RECVHOPOPTS) and
// parses it with include/ioam/trace/ipv6.hpp.
//
// Exits 77 when not root, without network namespaces, without IOAM in the
// kernel or without IOAM6 events (Linux < 6.9). libmnl is used here only to
// resolve the generic netlink family and group.
#include "ioam/netlink.hpp"
#include "ioam/trace.hpp"

#include <gtest/gtest.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

namespace nl = ioam::netlink;
namespace t = ioam::trace;
namespace v6 = ioam::trace::ipv6;
using t::value_id;

namespace {

const std::string suffix = std::to_string(getpid());
const std::string ns_s = "ioamS" + suffix, ns_t = "ioamT" + suffix, ns_r = "ioamR" + suffix;
constexpr std::uint16_t ioam_ns = 123;

// What the test configures (checked against the kernel's node data).
struct node_cfg {
    std::uint32_t id, in_id, out_id;
    std::uint64_t id_wide;
    std::uint32_t in_id_wide, out_id_wide;
    std::uint32_t ns_data;
    std::uint64_t ns_data_wide;
};
constexpr node_cfg transit{1001, 11, 12, 0x00aa000000001001ULL, 0x11000011, 0x12000012, 0x7000000a, 0x7000000000000a0aULL};
constexpr node_cfg receiver{2002, 21, 22, 0x00bb000000002002ULL, 0x21000021, 0x22000022, 0x8000000b, 0x8000000000000b0bULL};
constexpr std::uint32_t transit_schema = 7;
const std::string transit_schema_data = "IOAMschm";  // 8 octets: Length 2

int sh(const std::string& cmd) {
    const int rc = std::system((cmd + " >/dev/null 2>&1").c_str());
    return rc;
}
bool sh_ok(const std::string& cmd) {
    if (sh(cmd) == 0) return true;
    std::fprintf(stderr, "command failed: %s\n", cmd.c_str());
    return false;
}
std::string in(const std::string& ns) { return "ip netns exec " + ns + " "; }
std::string hex(std::uint64_t v) {
    char b[32];
    std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
    return b;
}

void teardown() {
    for (const auto& n : {ns_s, ns_t, ns_r}) sh("ip netns del " + n);
}

bool setup_topology() {
    for (const auto& n : {ns_s, ns_t, ns_r}) {
        if (!sh_ok("ip netns add " + n)) return false;
        // Before creating the veths: no DAD, so the first packets are not held back.
        if (!sh_ok(in(n) + "sysctl -w net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0")) return false;
        if (!sh_ok(in(n) + "ip link set lo up")) return false;
    }
    bool ok = sh_ok("ip link add s0 netns " + ns_s + " type veth peer name t0 netns " + ns_t) &&
              sh_ok("ip link add t1 netns " + ns_t + " type veth peer name r0 netns " + ns_r) &&
              sh_ok(in(ns_s) + "ip addr add 2001:db8:1::1/64 dev s0") &&
              sh_ok(in(ns_t) + "ip addr add 2001:db8:1::2/64 dev t0") &&
              sh_ok(in(ns_t) + "ip addr add 2001:db8:2::1/64 dev t1") &&
              sh_ok(in(ns_r) + "ip addr add 2001:db8:2::2/64 dev r0") &&
              sh_ok(in(ns_s) + "ip link set s0 up") && sh_ok(in(ns_t) + "ip link set t0 up") &&
              sh_ok(in(ns_t) + "ip link set t1 up") && sh_ok(in(ns_r) + "ip link set r0 up") &&
              sh_ok(in(ns_s) + "ip -6 route add 2001:db8:2::/64 via 2001:db8:1::2") &&
              sh_ok(in(ns_r) + "ip -6 route add 2001:db8:1::/64 via 2001:db8:2::1") &&
              sh_ok(in(ns_t) + "sysctl -w net.ipv6.conf.all.forwarding=1");
    if (!ok) return false;
    const auto ioam_node = [](const std::string& ns, const node_cfg& c, const char* in_if, const char* out_if) {
        return sh_ok(in(ns) + "sysctl -w net.ipv6.ioam6_id=" + std::to_string(c.id) +
                     " net.ipv6.ioam6_id_wide=" + std::to_string(c.id_wide)) &&
               sh_ok(in(ns) + "sysctl -w net.ipv6.conf." + in_if + ".ioam6_enabled=1 net.ipv6.conf." + in_if +
                     ".ioam6_id=" + std::to_string(c.in_id) + " net.ipv6.conf." + in_if +
                     ".ioam6_id_wide=" + std::to_string(c.in_id_wide)) &&
               sh_ok(in(ns) + "sysctl -w net.ipv6.conf." + out_if + ".ioam6_id=" + std::to_string(c.out_id) +
                     " net.ipv6.conf." + out_if + ".ioam6_id_wide=" + std::to_string(c.out_id_wide)) &&
               sh_ok(in(ns) + "ip ioam namespace add " + std::to_string(ioam_ns) + " data " + hex(c.ns_data) +
                     " wide " + hex(c.ns_data_wide));
    };
    ok = ioam_node(ns_t, transit, "t0", "t1") && ioam_node(ns_r, receiver, "r0", "lo");
    // The transit node has an opaque-state schema; the receiver has none (0xffffff).
    ok = ok && sh_ok(in(ns_t) + "ip ioam schema add " + std::to_string(transit_schema) + " " + transit_schema_data) &&
         sh_ok(in(ns_t) + "ip ioam namespace set " + std::to_string(ioam_ns) + " schema " + std::to_string(transit_schema));
    return ok;
}

// Runs f with the calling thread in network namespace ns (sockets created
// there stay there).
template <class F>
auto in_netns(const std::string& ns, F&& f) {
    const int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    const int target = open(("/var/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
    if (self < 0 || target < 0 || setns(target, CLONE_NEWNET) != 0) {
        std::fprintf(stderr, "setns %s: %s\n", ns.c_str(), std::strerror(errno));
        std::abort();
    }
    auto r = f();
    if (setns(self, CLONE_NEWNET) != 0) std::abort();
    close(self);
    close(target);
    return r;
}

struct genl_family {
    std::uint16_t id = 0;
    std::optional<std::uint32_t> events_group;
};

int ctrl_attr_cb(const nlattr* a, void* data) {
    auto* tb = static_cast<const nlattr**>(data);
    const int type = mnl_attr_get_type(a);
    if (mnl_attr_type_valid(a, CTRL_ATTR_MAX) < 0) return MNL_CB_OK;
    tb[type] = a;
    return MNL_CB_OK;
}

int ctrl_cb(const nlmsghdr* nlh, void* data) {
    auto* fam = static_cast<genl_family*>(data);
    const nlattr* tb[CTRL_ATTR_MAX + 1] = {};
    mnl_attr_parse(nlh, sizeof(genlmsghdr), ctrl_attr_cb, tb);
    if (tb[CTRL_ATTR_FAMILY_ID]) fam->id = mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
    if (tb[CTRL_ATTR_MCAST_GROUPS]) {
        const nlattr* nest = tb[CTRL_ATTR_MCAST_GROUPS];
        const char* end = static_cast<const char*>(mnl_attr_get_payload(nest)) + mnl_attr_get_payload_len(nest);
        for (auto* grp = static_cast<const nlattr*>(mnl_attr_get_payload(nest));
             mnl_attr_ok(grp, static_cast<int>(end - reinterpret_cast<const char*>(grp))); grp = mnl_attr_next(grp)) {
            const nlattr* g[CTRL_ATTR_MCAST_GRP_MAX + 1] = {};
            mnl_attr_parse_nested(grp, [](const nlattr* a, void* d) {
                auto* gt = static_cast<const nlattr**>(d);
                if (mnl_attr_type_valid(a, CTRL_ATTR_MCAST_GRP_MAX) >= 0) gt[mnl_attr_get_type(a)] = a;
                return MNL_CB_OK;
            }, g);
            if (g[CTRL_ATTR_MCAST_GRP_NAME] && g[CTRL_ATTR_MCAST_GRP_ID] &&
                nl::ioam6::events_group == mnl_attr_get_str(g[CTRL_ATTR_MCAST_GRP_NAME]))
                fam->events_group = mnl_attr_get_u32(g[CTRL_ATTR_MCAST_GRP_ID]);
        }
    }
    return MNL_CB_OK;
}

// Opens a generic netlink socket in the current namespace, resolves IOAM6
// and joins ioam6_events. Returns nullptr (and the family info) on failure.
mnl_socket* open_events(genl_family& fam) {
    mnl_socket* s = mnl_socket_open(NETLINK_GENERIC);
    if (!s || mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) return nullptr;
    std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
    nlh->nlmsg_type = GENL_ID_CTRL;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    nlh->nlmsg_seq = 1;
    auto* g = static_cast<genlmsghdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(genlmsghdr)));
    g->cmd = CTRL_CMD_GETFAMILY;
    g->version = 1;
    mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, std::string(nl::ioam6::family_name).c_str());
    if (mnl_socket_sendto(s, nlh, nlh->nlmsg_len) < 0) return nullptr;
    const unsigned portid = mnl_socket_get_portid(s);
    for (;;) {
        const ssize_t n = mnl_socket_recvfrom(s, buf.data(), buf.size());
        if (n <= 0) break;
        const int rc = mnl_cb_run(buf.data(), static_cast<std::size_t>(n), 1, portid, ctrl_cb, &fam);
        if (rc <= MNL_CB_STOP) break;
    }
    if (fam.id == 0 || !fam.events_group) {
        mnl_socket_close(s);
        return nullptr;
    }
    int grp = static_cast<int>(*fam.events_group);
    if (mnl_socket_setsockopt(s, NETLINK_ADD_MEMBERSHIP, &grp, sizeof grp) < 0) {
        mnl_socket_close(s);
        return nullptr;
    }
    return s;
}

genl_family family;
mnl_socket* transit_events = nullptr;
mnl_socket* receiver_events = nullptr;
int sender_fd = -1;
int receiver_fd = -1;
std::string skip_reason;

// Received events, copied out of the receive buffer.
struct captured {
    std::vector<std::byte> raw;  // the whole datagram
    std::vector<nl::event> events;
};

// Reads every event pending on the socket within timeout_ms.
captured drain(mnl_socket* s, int timeout_ms) {
    captured c;
    c.raw.resize(1 << 16);
    std::size_t used = 0;
    pollfd p{mnl_socket_get_fd(s), POLLIN, 0};
    while (poll(&p, 1, timeout_ms) > 0) {
        const ssize_t n = recv(p.fd, c.raw.data() + used, c.raw.size() - used, 0);
        if (n <= 0) break;
        used += static_cast<std::size_t>(n);
        timeout_ms = 100;  // after the first datagram, only wait for stragglers
        if (c.raw.size() - used < 8192) break;
    }
    c.raw.resize(used);
    // Decode everything (views into c.raw stay valid: no more resizes).
    nl::message_reader r(c.raw);
    while (!r.done()) {
        auto m = r.next();
        if (!m) {
            ADD_FAILURE() << "bad netlink framing at " << m.offset();
            break;
        }
        if (m->type != family.id) continue;
        auto ev = nl::decode_event(*m);
        if (!ev) {
            ADD_FAILURE() << "event does not decode: " << ev.error_code().message() << " at " << ev.offset();
            continue;
        }
        c.events.push_back(*ev);
    }
    return c;
}

struct scenario {
    const char* name;
    std::uint32_t type;
    std::size_t room_words;  // pre-allocated space
};

void expect_timestamp(const t::node_view& n) {
    const auto now = static_cast<std::uint64_t>(std::time(nullptr));
    if (auto s = n.get<value_id::timestamp_seconds>()) {
        EXPECT_FALSE(n.unavailable(value_id::timestamp_seconds));
        EXPECT_LE(*s, now + 2);
        EXPECT_GE(*s + 10, now);
    }
    if (auto f = n.get<value_id::timestamp_fraction>()) {
        EXPECT_LT(*f, 1000000U) << "timestamp fraction in microseconds";
    }
}

// Checks one node against what the node it came from was configured with.
void expect_node(const t::node_view& n, const node_cfg& c, std::uint8_t hop_limit, bool local_delivery,
                 std::optional<std::uint32_t> schema, std::size_t schema_len) {
    SCOPED_TRACE("node " + std::to_string(c.id));
    if (n.has(value_id::hop_limit)) {
        EXPECT_EQ(n.get<value_id::hop_limit>(), hop_limit);
        EXPECT_EQ(n.get<value_id::node_id>(), c.id);
    }
    if (n.has(value_id::ingress_id)) {
        EXPECT_EQ(n.get<value_id::ingress_id>(), c.in_id);
        if (!local_delivery) {
            EXPECT_EQ(n.get<value_id::egress_id>(), c.out_id);
        } else {
            // Delivered locally (the route's device is loopback): Linux reports
            // the egress id as unavailable, all ones, not 0.
            EXPECT_TRUE(n.unavailable(value_id::egress_id));
        }
    }
    if (n.has(value_id::hop_limit_wide)) {
        EXPECT_EQ(n.get<value_id::hop_limit_wide>(), hop_limit);
        EXPECT_EQ(n.get<value_id::node_id_wide>(), c.id_wide);
    }
    if (n.has(value_id::ingress_id_wide)) {
        EXPECT_EQ(n.get<value_id::ingress_id_wide>(), c.in_id_wide);
        if (!local_delivery) {
            EXPECT_EQ(n.get<value_id::egress_id_wide>(), c.out_id_wide);
        } else {
            EXPECT_TRUE(n.unavailable(value_id::egress_id_wide));
        }
    }
    if (n.has(value_id::namespace_data)) {
        EXPECT_EQ(n.get<value_id::namespace_data>(), c.ns_data);
    }
    if (n.has(value_id::namespace_data_wide)) {
        EXPECT_EQ(n.get<value_id::namespace_data_wide>(), c.ns_data_wide);
    }
    expect_timestamp(n);
    if (auto o = n.opaque()) {
        if (schema) {
            EXPECT_TRUE(o->has_schema());
            EXPECT_EQ(o->schema_id, *schema);
            EXPECT_EQ(o->data.size(), schema_len);
        } else {
            EXPECT_FALSE(o->has_schema());
            EXPECT_EQ(o->schema_id, 0xffffffU);  // "no schema", not 0
            EXPECT_TRUE(o->data.empty());
        }
    }
    // Per-value iteration agrees with the typed accessors.
    n.for_each_value([&](const t::field_value& f) { EXPECT_EQ(n.raw(f.id), f.value) << f.name; });
}

void run_scenario(const scenario& sc, bool expect_overflow) {
    SCOPED_TRACE(sc.name);
    const std::uint8_t sent_hop_limit = 64;
    // The hop-by-hop header, built by our encoder.
    std::array<std::byte, 512> body{};
    t::trace_header h{ioam_ns, static_cast<std::uint8_t>(t::node_len_of(sc.type)), 0,
                      static_cast<std::uint8_t>(sc.room_words), sc.type, 0};
    const std::size_t body_len = t::encode_preallocated(h, body).value();
    std::array<std::byte, 600> hbh{};
    auto hl = v6::encode_ioam_header(IPPROTO_UDP, t::option_type::preallocated_trace, std::span(body).first(body_len), hbh);
    ASSERT_TRUE(hl);
    ASSERT_EQ(setsockopt(sender_fd, IPPROTO_IPV6, IPV6_HOPOPTS, hbh.data(), static_cast<socklen_t>(*hl)), 0)
        << std::strerror(errno);

    // Drop anything left from an earlier scenario.
    drain(transit_events, 0);
    drain(receiver_events, 0);

    sockaddr_in6 dst{};
    dst.sin6_family = AF_INET6;
    dst.sin6_port = htons(9999);
    inet_pton(AF_INET6, "2001:db8:2::2", &dst.sin6_addr);
    const char payload[] = "ioam";
    ASSERT_EQ(sendto(sender_fd, payload, sizeof payload, 0, reinterpret_cast<sockaddr*>(&dst), sizeof dst),
              static_cast<ssize_t>(sizeof payload))
        << std::strerror(errno);

    // The receiver's copy of the final hop-by-hop header.
    std::array<char, 64> data{};
    std::array<char, 2048> control{};
    iovec iov{data.data(), data.size()};
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = control.data();
    mh.msg_controllen = control.size();
    pollfd p{receiver_fd, POLLIN, 0};
    ASSERT_EQ(poll(&p, 1, 3000), 1) << "the packet did not reach the receiver";
    ASSERT_GT(recvmsg(receiver_fd, &mh, 0), 0);
    std::vector<std::byte> final_hbh;
    for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPOPTS) {
            auto* b = reinterpret_cast<const std::byte*>(CMSG_DATA(c));
            final_hbh.assign(b, b + (c->cmsg_len - CMSG_LEN(0)));
        }
    }
    ASSERT_FALSE(final_hbh.empty()) << "no IPV6_HOPOPTS control message";

    auto te = drain(transit_events, 2000);
    auto re = drain(receiver_events, 2000);
    ASSERT_EQ(te.events.size(), 1U) << "TRACE events at the transit node";
    ASSERT_EQ(re.events.size(), 1U) << "TRACE events at the receiver";

    const std::uint8_t transit_hop = static_cast<std::uint8_t>(sent_hop_limit - 1);
    const std::uint8_t receiver_hop = static_cast<std::uint8_t>(sent_hop_limit - 2);
    const bool has_opaque = (sc.type & t::opaque_mask) != 0;

    // Transit: its own node only.
    {
        const auto& ev = te.events[0];
        ASSERT_EQ(ev.type, nl::ioam6::event_type::trace);
        EXPECT_EQ(ev.trace.namespace_id, ioam_ns);
        EXPECT_EQ(ev.trace.trace_type(), sc.type);
        EXPECT_EQ(ev.trace.node_len, t::node_len_of(sc.type));
        auto nodes = ev.trace.nodes();
        ASSERT_TRUE(nodes) << nodes.error_code().message();
        ASSERT_EQ(nodes->size(), 1U);
        expect_node((*nodes)[0], transit, transit_hop, false, transit_schema, transit_schema_data.size());
    }
    // Receiver: its node first, then the transit's; or only the transit's when the trace overflowed.
    {
        const auto& ev = re.events[0];
        EXPECT_EQ(ev.trace.namespace_id, ioam_ns);
        EXPECT_EQ(ev.trace.trace_type(), sc.type);
        auto nodes = ev.trace.nodes();
        ASSERT_TRUE(nodes) << nodes.error_code().message();
        if (expect_overflow) {
            ASSERT_EQ(nodes->size(), 1U);
            expect_node((*nodes)[0], transit, transit_hop, false, transit_schema, transit_schema_data.size());
        } else {
            ASSERT_EQ(nodes->size(), 2U);
            expect_node((*nodes)[0], receiver, receiver_hop, true, std::nullopt, 0);
            expect_node((*nodes)[1], transit, transit_hop, false, transit_schema, transit_schema_data.size());
            if (has_opaque) {
                EXPECT_EQ(std::string(reinterpret_cast<const char*>((*nodes)[1].opaque()->data.data()), 8), transit_schema_data);
            }
        }
    }
    // The header as delivered: same trace, Overflow flag as expected.
    {
        auto opts = v6::parse_options(final_hbh);
        ASSERT_TRUE(opts) << opts.error_code().message();
        auto io = v6::first_ioam(*opts);
        ASSERT_TRUE(io);
        auto tr = t::decode_trace(io->type, io->body, t::type_policy::strict, io->offset);
        ASSERT_TRUE(tr) << tr.error_code().message() << " at " << tr.offset();
        EXPECT_EQ(tr->header.overflow(), expect_overflow);
        const auto& ev = re.events[0].trace;
        ASSERT_EQ(tr->filled.size(), ev.data.size());
        EXPECT_TRUE(std::equal(tr->filled.begin(), tr->filled.end(), ev.data.begin()))
            << "the event's DATA is the filled part of the trace";
    }
}

class KernelNetns : public ::testing::Test {};

}  // namespace

TEST_F(KernelNetns, ShortFields) { run_scenario({"short fields", 0xf40000, 2 * 5}, false); }
TEST_F(KernelNetns, WideFields) { run_scenario({"wide fields", 0x00f000, 2 * 7}, false); }
TEST_F(KernelNetns, NamespaceData) { run_scenario({"namespace data", 0x842000, 2 * 4}, false); }
// Transit: NodeLen 1 + snapshot word + 2 words of schema data; receiver: 1 + 1 (no schema).
TEST_F(KernelNetns, OpaqueStateSnapshot) { run_scenario({"opaque state snapshot", 0x800002, 4 + 2}, false); }
TEST_F(KernelNetns, OverflowWhenTooSmall) { run_scenario({"overflow", 0xc00000, 2}, true); }

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    if (geteuid() != 0) {
        std::printf("SKIP: needs root (network namespaces, CAP_NET_ADMIN for ioam6_events)\n");
        return 77;
    }
    if (access("/proc/sys/net/ipv6/ioam6_id", F_OK) != 0) {
        std::printf("SKIP: this kernel has no IPv6 IOAM (net.ipv6.ioam6_id missing)\n");
        return 77;
    }
    if (sh("command -v ip") != 0 || sh("ip ioam namespace show") != 0) {
        std::printf("SKIP: iproute2 with 'ip ioam' is missing\n");
        return 77;
    }
    if (sh("ip netns add " + ns_s) != 0) {
        std::printf("SKIP: cannot create network namespaces\n");
        return 77;
    }
    sh("ip netns del " + ns_s);
    std::atexit(teardown);
    if (!setup_topology()) {
        std::printf("FAIL: could not set up the three namespaces\n");
        return 1;
    }
    genl_family ft, fr;
    transit_events = in_netns(ns_t, [&] { return open_events(ft); });
    receiver_events = in_netns(ns_r, [&] { return open_events(fr); });
    if (!transit_events || !receiver_events) {
        std::printf("SKIP: no IOAM6 generic netlink family with an '%s' group (IOAM events need Linux 6.9+)\n",
                    std::string(nl::ioam6::events_group).c_str());
        return 77;
    }
    family = ft;
    sender_fd = in_netns(ns_s, [] { return socket(AF_INET6, SOCK_DGRAM, 0); });
    receiver_fd = in_netns(ns_r, [] { return socket(AF_INET6, SOCK_DGRAM, 0); });
    const int on = 1, hops = 64;
    sockaddr_in6 any{};
    any.sin6_family = AF_INET6;
    any.sin6_port = htons(9999);
    if (sender_fd < 0 || receiver_fd < 0 ||
        setsockopt(sender_fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof hops) != 0 ||
        setsockopt(receiver_fd, IPPROTO_IPV6, IPV6_RECVHOPOPTS, &on, sizeof on) != 0 ||
        bind(receiver_fd, reinterpret_cast<sockaddr*>(&any), sizeof any) != 0) {
        std::printf("FAIL: sockets: %s\n", std::strerror(errno));
        return 1;
    }
    const int rc = RUN_ALL_TESTS();
    mnl_socket_close(transit_events);
    mnl_socket_close(receiver_events);
    close(sender_fd);
    close(receiver_fd);
    return rc;
}
