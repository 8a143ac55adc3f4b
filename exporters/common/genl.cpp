#include "genl.hpp"

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace ioam_tools::genl {
namespace {

struct lookup {
    const char* group_name = nullptr;
    std::uint16_t family = 0;
    std::uint32_t group = 0;
    bool group_found = false;
};

int attr_cb(const nlattr* a, void* data) {
    auto* tb = static_cast<const nlattr**>(data);
    if (mnl_attr_type_valid(a, CTRL_ATTR_MAX) >= 0) tb[mnl_attr_get_type(a)] = a;
    return MNL_CB_OK;
}

int group_attr_cb(const nlattr* a, void* data) {
    auto* tb = static_cast<const nlattr**>(data);
    if (mnl_attr_type_valid(a, CTRL_ATTR_MCAST_GRP_MAX) >= 0) tb[mnl_attr_get_type(a)] = a;
    return MNL_CB_OK;
}

int family_cb(const nlmsghdr* nlh, void* data) {
    auto* l = static_cast<lookup*>(data);
    const nlattr* tb[CTRL_ATTR_MAX + 1] = {};
    mnl_attr_parse(nlh, sizeof(genlmsghdr), attr_cb, tb);
    if (tb[CTRL_ATTR_FAMILY_ID]) l->family = mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
    if (!tb[CTRL_ATTR_MCAST_GROUPS]) return MNL_CB_OK;
    const nlattr* nest = tb[CTRL_ATTR_MCAST_GROUPS];
    const char* end = static_cast<const char*>(mnl_attr_get_payload(nest)) + mnl_attr_get_payload_len(nest);
    for (auto* grp = static_cast<const nlattr*>(mnl_attr_get_payload(nest));
         mnl_attr_ok(grp, static_cast<int>(end - reinterpret_cast<const char*>(grp))); grp = mnl_attr_next(grp)) {
        const nlattr* g[CTRL_ATTR_MCAST_GRP_MAX + 1] = {};
        mnl_attr_parse_nested(grp, group_attr_cb, g);
        if (g[CTRL_ATTR_MCAST_GRP_NAME] && g[CTRL_ATTR_MCAST_GRP_ID] &&
            std::strcmp(mnl_attr_get_str(g[CTRL_ATTR_MCAST_GRP_NAME]), l->group_name) == 0) {
            l->group = mnl_attr_get_u32(g[CTRL_ATTR_MCAST_GRP_ID]);
            l->group_found = true;
        }
    }
    return MNL_CB_OK;
}

}  // namespace

bool subscribe(subscription& s, const char* family_name, const char* group_name, int rcvbuf, std::string& error) {
    s.sock = mnl_socket_open(NETLINK_GENERIC);
    if (!s.sock || mnl_socket_bind(s.sock, 0, MNL_SOCKET_AUTOPID) < 0) {
        error = std::string("netlink socket: ") + std::strerror(errno);
        close(s);
        return false;
    }
    s.fd = mnl_socket_get_fd(s.sock);
    std::array<char, 16384> buf{};  // MNL_SOCKET_BUFFER_SIZE is not a constant
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
    nlh->nlmsg_type = GENL_ID_CTRL;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    nlh->nlmsg_seq = 1;
    auto* g = static_cast<genlmsghdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(genlmsghdr)));
    g->cmd = CTRL_CMD_GETFAMILY;
    g->version = 1;
    mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, family_name);
    if (mnl_socket_sendto(s.sock, nlh, nlh->nlmsg_len) < 0) {
        error = std::string("resolving the generic netlink family: ") + std::strerror(errno);
        close(s);
        return false;
    }
    lookup l;
    l.group_name = group_name;
    const unsigned portid = mnl_socket_get_portid(s.sock);
    for (;;) {
        const ssize_t n = mnl_socket_recvfrom(s.sock, buf.data(), buf.size());
        if (n <= 0) break;
        const int rc = mnl_cb_run(buf.data(), static_cast<std::size_t>(n), 1, portid, family_cb, &l);
        if (rc <= MNL_CB_STOP) {
            if (rc < 0 && l.family == 0) error = std::string("no generic netlink family ") + family_name +
                                                 " (IOAM events need Linux 6.9 or later): " + std::strerror(errno);
            break;
        }
    }
    if (l.family == 0 || !l.group_found) {
        if (error.empty())
            error = std::string("the ") + family_name + " family has no multicast group " + group_name;
        close(s);
        return false;
    }
    s.family = l.family;
    s.group = l.group;
    int grp = static_cast<int>(l.group);
    if (mnl_socket_setsockopt(s.sock, NETLINK_ADD_MEMBERSHIP, &grp, sizeof grp) < 0) {
        error = std::string("joining ") + group_name + ": " + std::strerror(errno) +
                (errno == EPERM ? " (needs CAP_NET_ADMIN)" : "");
        close(s);
        return false;
    }
    if (rcvbuf > 0) {
        s.forced = setsockopt(s.fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) == 0;
        if (!s.forced) (void)setsockopt(s.fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    }
    socklen_t len = sizeof s.rcvbuf;
    (void)getsockopt(s.fd, SOL_SOCKET, SO_RCVBUF, &s.rcvbuf, &len);
    return true;
}

void close(subscription& s) {
    if (s.sock) mnl_socket_close(s.sock);
    s.sock = nullptr;
    s.fd = -1;
}

bool drops(int fd, std::uint64_t& out) {
    std::array<std::uint32_t, SK_MEMINFO_VARS> mem{};
    socklen_t len = sizeof mem;
    if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem.data(), &len) != 0 || len < (SK_MEMINFO_DROPS + 1) * sizeof(std::uint32_t))
        return false;
    out = mem[SK_MEMINFO_DROPS];
    return true;
}

}  // namespace ioam_tools::genl
