// SPDX-License-Identifier: MIT
/*
 * ioam-route: configure IOAM on Linux without a patched iproute2.
 *
 *   ioam-route route add|change|replace PREFIX [via ADDR] dev IFACE
 *                    [metric N] [encap ioam6] ENCAP
 *   ioam-route route del PREFIX [via ADDR] dev IFACE
 *     ENCAP := [mode inline|encap|auto] [tunsrc ADDR] [tundst ADDR]
 *              [freq K/N] OPTION
 *     OPTION := dex ns ID [type TRACE_TYPE] [ext FLAGS]
 *             | trace [prealloc] ns ID type TRACE_TYPE size BYTES
 *   ioam-route ns add ID [data DATA32] [wide DATA64]
 *   ioam-route ns del ID
 *   ioam-route ns set-schema ID SCHEMA|none
 *   ioam-route ns show
 *   ioam-route schema add ID HEX
 *   ioam-route schema del ID
 *   ioam-route schema show
 *
 * TRACE_TYPE is the 24-bit IOAM-Trace-Type (0x800000 = bit 0); FLAGS are
 * the DEX Extension-Flags (0x80 flow id, 0x40 sequence number). Routes go
 * over rtnetlink (LWTUNNEL_ENCAP_IOAM6), namespaces and schemas over the
 * IOAM6 generic netlink family. Errors print the kernel's extended ack.
 * The route syntax is iproute2's, so `ip -6 route add ... encap ioam6 ...`
 * lines translate by replacing `ip -6` with `ioam-route`.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * Kernel numbers, spelled here rather than taken from the system's uapi
 * headers (Debian 12 ships Linux 6.1 headers without the DEX additions).
 */
enum { ENCAP_IOAM6 = 9 };		/* LWTUNNEL_ENCAP_IOAM6 */
enum {					/* IOAM6_IPTUNNEL_* */
	TUN_MODE = 1, TUN_DST = 2, TUN_TRACE = 3, TUN_FREQ_K = 4, TUN_FREQ_N = 5,
	TUN_SRC = 6, TUN_OPTION_TYPE = 7, TUN_DEX = 8,
};
enum { MODE_INLINE = 1, MODE_ENCAP = 2, MODE_AUTO = 3 };
enum { OPTION_PTO = 1, OPTION_DEX = 2 };
enum {					/* IOAM6_ATTR_* */
	ATTR_NS_ID = 1, ATTR_NS_DATA = 2, ATTR_NS_DATA_WIDE = 3, ATTR_SC_ID = 4,
	ATTR_SC_DATA = 5, ATTR_SC_NONE = 6, ATTR_PAD = 7,
};
enum {					/* IOAM6_CMD_* */
	CMD_ADD_NAMESPACE = 1, CMD_DEL_NAMESPACE = 2, CMD_DUMP_NAMESPACES = 3,
	CMD_ADD_SCHEMA = 4, CMD_DEL_SCHEMA = 5, CMD_DUMP_SCHEMAS = 6,
	CMD_NS_SET_SCHEMA = 7,
};

static char buf[32768];

static _Noreturn void usage(void)
{
	fputs("usage: ioam-route route add|change|replace|del PREFIX [via ADDR] dev IFACE [metric N]\n"
	      "           [mode inline|encap|auto] [tunsrc ADDR] [tundst ADDR] [freq K/N]\n"
	      "           dex ns ID [type TRACE_TYPE] [ext FLAGS]\n"
	      "         | trace ns ID type TRACE_TYPE size BYTES\n"
	      "       ioam-route ns add ID [data DATA32] [wide DATA64] | del ID |\n"
	      "                     set-schema ID SCHEMA|none | show\n"
	      "       ioam-route schema add ID HEX | del ID | show\n", stderr);
	exit(2);
}

static unsigned long long num(const char *s, unsigned long long max, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || end == s || v > max) {
		fprintf(stderr, "ioam-route: bad %s: %s\n", what, s);
		exit(2);
	}
	return v;
}

static void addr6(const char *s, struct in6_addr *a)
{
	if (inet_pton(AF_INET6, s, a) != 1) {
		fprintf(stderr, "ioam-route: bad IPv6 address: %s\n", s);
		exit(2);
	}
}

/* Prints the error of an NLMSG_ERROR, with the extended ack message */
static int ack_error(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	const char *msg = NULL;
	size_t off = sizeof(*err);

	if (err->error == 0)
		return 0;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += mnl_nlmsg_get_payload_len(&err->msg);
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		mnl_attr_for_each_payload((const struct nlattr *)((const char *)err + off),
					  mnl_nlmsg_get_payload_len(nlh) - off) {
			if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG)
				msg = mnl_attr_get_str(attr);
		}
	}
	fprintf(stderr, "ioam-route: %s%s%s\n", strerror(-err->error),
		msg ? ": " : "", msg ? msg : "");
	return -1;
}

typedef int (*row_cb)(const struct nlmsghdr *nlh, void *data);

/* Sends one request and reads until its ack (or the end of a dump) */
static int talk(struct mnl_socket *nl, struct nlmsghdr *req, row_cb cb, void *data)
{
	unsigned int portid = mnl_socket_get_portid(nl), seq = req->nlmsg_seq;
	int n;

	if (mnl_socket_sendto(nl, req, req->nlmsg_len) < 0) {
		perror("ioam-route: send");
		return -1;
	}
	while ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;

		for (; mnl_nlmsg_ok(nlh, n); nlh = mnl_nlmsg_next(nlh, &n)) {
			if (!mnl_nlmsg_portid_ok(nlh, portid) || !mnl_nlmsg_seq_ok(nlh, seq))
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR)
				return ack_error(nlh);
			if (nlh->nlmsg_type == NLMSG_DONE)
				return 0;
			if (cb && cb(nlh, data) < 0)
				return -1;
		}
	}
	perror("ioam-route: receive");
	return -1;
}

static struct mnl_socket *open_socket(int bus)
{
	struct mnl_socket *nl = mnl_socket_open(bus);
	int one = 1;

	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("ioam-route: netlink");
		exit(1);
	}
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	return nl;
}

/* ---- routes ----------------------------------------------------------- */

static int cmd_route(int argc, char **argv)
{
	struct in6_addr prefix = { 0 }, via, tunsrc, tundst;
	bool has_via = false, has_src = false, has_dst = false, add = true;
	unsigned int plen = 128, ifindex = 0, metric = 0;
	unsigned long long k = 0, n = 0, ns = 0, type = 0, ext = 0, size = 0;
	int mode = 0, option = 0, flags, i;
	char *slash;

	if (argc < 2)
		usage();
	if (!strcmp(argv[0], "add"))
		flags = NLM_F_CREATE | NLM_F_EXCL;
	else if (!strcmp(argv[0], "change"))
		flags = NLM_F_REPLACE;
	else if (!strcmp(argv[0], "replace"))
		flags = NLM_F_CREATE | NLM_F_REPLACE;
	else if (!strcmp(argv[0], "del"))
		flags = 0, add = false;
	else
		usage();

	slash = strchr(argv[1], '/');
	if (slash) {
		*slash = 0;
		plen = num(slash + 1, 128, "prefix length");
	}
	addr6(argv[1], &prefix);

	for (i = 2; i < argc; i++) {
		const char *key = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(key, "dex")) {
			option = OPTION_DEX;
			continue;
		}
		if (!strcmp(key, "encap") && val && !strcmp(val, "ioam6")) {
			i++;
			continue;
		}
		if (!strcmp(key, "trace")) {
			option = OPTION_PTO;
			if (val && !strcmp(val, "prealloc"))
				i++;
			continue;
		}
		if (!val)
			usage();
		i++;
		if (!strcmp(key, "via")) {
			addr6(val, &via);
			has_via = true;
		} else if (!strcmp(key, "dev")) {
			ifindex = if_nametoindex(val);
			if (!ifindex) {
				fprintf(stderr, "ioam-route: no device %s\n", val);
				return 1;
			}
		} else if (!strcmp(key, "metric")) {
			metric = num(val, UINT32_MAX, "metric");
		} else if (!strcmp(key, "mode")) {
			mode = !strcmp(val, "inline") ? MODE_INLINE :
			       !strcmp(val, "encap") ? MODE_ENCAP :
			       !strcmp(val, "auto") ? MODE_AUTO : 0;
			if (!mode)
				usage();
		} else if (!strcmp(key, "tunsrc")) {
			addr6(val, &tunsrc);
			has_src = true;
		} else if (!strcmp(key, "tundst")) {
			addr6(val, &tundst);
			has_dst = true;
		} else if (!strcmp(key, "freq")) {
			char *sep = strchr(val, '/');

			if (!sep)
				usage();
			*sep = 0;
			k = num(val, UINT32_MAX, "freq k");
			n = num(sep + 1, UINT32_MAX, "freq n");
		} else if (!strcmp(key, "ns")) {
			ns = num(val, UINT16_MAX, "namespace");
		} else if (!strcmp(key, "type")) {
			type = num(val, 0xffffff, "trace type");
		} else if (!strcmp(key, "ext")) {
			ext = num(val, 0xff, "extension flags");
		} else if (!strcmp(key, "size")) {
			size = num(val, 244, "trace size");
		} else {
			usage();
		}
	}
	if (add && !option) {
		fprintf(stderr, "ioam-route: say dex or trace\n");
		return 2;
	}

	struct mnl_socket *nl = open_socket(NETLINK_ROUTE);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;

	nlh->nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = time(NULL);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET6;
	rtm->rtm_dst_len = plen;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, sizeof(prefix), &prefix);
	if (has_via)
		mnl_attr_put(nlh, RTA_GATEWAY, sizeof(via), &via);
	if (ifindex)
		mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
	if (metric)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, metric);
	if (add) {
		struct nlattr *encap;

		mnl_attr_put_u16(nlh, RTA_ENCAP_TYPE, ENCAP_IOAM6);
		/* the kernel parses RTA_ENCAP with nla_parse_nested() */
		encap = mnl_attr_nest_start(nlh, RTA_ENCAP);
		encap->nla_type |= NLA_F_NESTED;
		if (mode)
			mnl_attr_put_u8(nlh, TUN_MODE, mode);
		if (has_src)
			mnl_attr_put(nlh, TUN_SRC, sizeof(tunsrc), &tunsrc);
		if (has_dst)
			mnl_attr_put(nlh, TUN_DST, sizeof(tundst), &tundst);
		if (k || n) {
			mnl_attr_put_u32(nlh, TUN_FREQ_K, k);
			mnl_attr_put_u32(nlh, TUN_FREQ_N, n);
		}
		if (option == OPTION_DEX) {
			/* struct ioam6_dex_hdr: ns, flags, ext flags, type << 8 */
			uint8_t dex[8] = { ns >> 8, ns, 0, ext,
					   type >> 16, type >> 8, type, 0 };

			mnl_attr_put_u8(nlh, TUN_OPTION_TYPE, OPTION_DEX);
			mnl_attr_put(nlh, TUN_DEX, sizeof(dex), dex);
		} else {
			/* struct ioam6_trace_hdr: ns, nodelen (kernel), remlen, type */
			uint8_t trace[8] = { ns >> 8, ns, 0, size / 4,
					     type >> 16, type >> 8, type, 0 };

			if (size % 4) {
				fprintf(stderr, "ioam-route: trace size must be a multiple of 4\n");
				return 2;
			}
			mnl_attr_put(nlh, TUN_TRACE, sizeof(trace), trace);
		}
		mnl_attr_nest_end(nlh, encap);
	}
	i = talk(nl, nlh, NULL, NULL);
	mnl_socket_close(nl);
	return i ? 1 : 0;
}

/* ---- IOAM namespaces and schemas (generic netlink) -------------------- */

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID)
			*(int *)data = mnl_attr_get_u16(a);
	}
	return 0;
}

static struct nlmsghdr *genl_msg(int family, int cmd, int flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = time(NULL);
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = 1;
	return nlh;
}

static int ioam6_family(struct mnl_socket *nl)
{
	struct nlmsghdr *nlh = genl_msg(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, NLM_F_ACK);
	int family = -1;

	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "IOAM6");
	if (talk(nl, nlh, family_cb, &family) || family < 0) {
		fprintf(stderr, "ioam-route: no IOAM6 generic netlink family (IPv6 IOAM in the kernel?)\n");
		exit(1);
	}
	return family;
}

static int show_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a;
	const char *sep = "";

	(void)data;
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case ATTR_NS_ID:
			printf("%snamespace %u", sep, mnl_attr_get_u16(a));
			break;
		case ATTR_NS_DATA:
			printf("%sdata 0x%08x", sep, mnl_attr_get_u32(a));
			break;
		case ATTR_NS_DATA_WIDE:
			printf("%swide 0x%016llx", sep, (unsigned long long)mnl_attr_get_u64(a));
			break;
		case ATTR_SC_ID:
			printf("%sschema %u", sep, mnl_attr_get_u32(a));
			break;
		case ATTR_SC_DATA:
			printf("%sdata ", sep);
			for (uint16_t i = 0; i < mnl_attr_get_payload_len(a); i++)
				printf("%02x", ((const uint8_t *)mnl_attr_get_payload(a))[i]);
			break;
		default:
			continue;
		}
		sep = " ";
	}
	printf("\n");
	return 0;
}

static int cmd_genl(const char *what, int argc, char **argv)
{
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	bool ns = !strcmp(what, "ns");
	int family, rc;

	if (argc < 1)
		usage();
	nl = open_socket(NETLINK_GENERIC);
	family = ioam6_family(nl);

	if (!strcmp(argv[0], "show")) {
		nlh = genl_msg(family, ns ? CMD_DUMP_NAMESPACES : CMD_DUMP_SCHEMAS,
			       NLM_F_DUMP | NLM_F_ACK);
		rc = talk(nl, nlh, show_cb, NULL);
	} else if (!strcmp(argv[0], "add") && argc >= 2 && ns) {
		nlh = genl_msg(family, CMD_ADD_NAMESPACE, NLM_F_ACK);
		mnl_attr_put_u16(nlh, ATTR_NS_ID, num(argv[1], UINT16_MAX, "namespace"));
		for (int i = 2; i + 1 < argc; i += 2) {
			if (!strcmp(argv[i], "data"))
				mnl_attr_put_u32(nlh, ATTR_NS_DATA, num(argv[i + 1], UINT32_MAX, "data"));
			else if (!strcmp(argv[i], "wide"))
				mnl_attr_put_u64(nlh, ATTR_NS_DATA_WIDE, num(argv[i + 1], UINT64_MAX, "wide"));
			else
				usage();
		}
		rc = talk(nl, nlh, NULL, NULL);
	} else if (!strcmp(argv[0], "add") && argc == 3) {
		uint8_t data[1020];
		size_t len = 0;

		for (const char *p = argv[2]; p[0] && p[1]; p += 2) {
			unsigned int v;

			if (len == sizeof(data) || sscanf(p, "%2x", &v) != 1)
				usage();
			data[len++] = v;
		}
		nlh = genl_msg(family, CMD_ADD_SCHEMA, NLM_F_ACK);
		mnl_attr_put_u32(nlh, ATTR_SC_ID, num(argv[1], 0xffffff, "schema"));
		mnl_attr_put(nlh, ATTR_SC_DATA, len, data);
		rc = talk(nl, nlh, NULL, NULL);
	} else if (!strcmp(argv[0], "del") && argc == 2) {
		nlh = genl_msg(family, ns ? CMD_DEL_NAMESPACE : CMD_DEL_SCHEMA, NLM_F_ACK);
		if (ns)
			mnl_attr_put_u16(nlh, ATTR_NS_ID, num(argv[1], UINT16_MAX, "namespace"));
		else
			mnl_attr_put_u32(nlh, ATTR_SC_ID, num(argv[1], 0xffffff, "schema"));
		rc = talk(nl, nlh, NULL, NULL);
	} else if (ns && !strcmp(argv[0], "set-schema") && argc == 3) {
		nlh = genl_msg(family, CMD_NS_SET_SCHEMA, NLM_F_ACK);
		mnl_attr_put_u16(nlh, ATTR_NS_ID, num(argv[1], UINT16_MAX, "namespace"));
		if (!strcmp(argv[2], "none"))
			mnl_attr_put(nlh, ATTR_SC_NONE, 0, NULL);
		else
			mnl_attr_put_u32(nlh, ATTR_SC_ID, num(argv[2], 0xffffff, "schema"));
		rc = talk(nl, nlh, NULL, NULL);
	} else {
		usage();
	}
	mnl_socket_close(nl);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "route"))
		return cmd_route(argc - 2, argv + 2);
	if (!strcmp(argv[1], "ns") || !strcmp(argv[1], "schema"))
		return cmd_genl(argv[1], argc - 2, argv + 2);
	usage();
}
