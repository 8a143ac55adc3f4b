// SPDX-License-Identifier: MIT
/*
 * dexmon: print the IOAM6 generic netlink events of the current network
 * namespace, one line per event, for the in-guest tests.
 *
 *   dexmon [-n COUNT] [-t MS]
 *   dexmon -x ...      also print each message as "RAW <hex>" (recorded events)
 *   dexmon -s          print "STATS sent=N suppressed=M" (the event counters
 *                      of the namespace, IOAM6_CMD_GET_EVENT_STATS) and exit
 *
 * Prints "READY" once subscribed, then lines such as
 *   DEX ns=123 flow=0x1234abcd seq=0 hlni=0x3f000001 ifs=0x000b000c ...
 *   TRACE ns=123 nodelen=2 type=0xc00000 data=...
 * and "END events=N" when COUNT events were seen, after MS idle
 * milliseconds (default 3000), or on SIGTERM once the queued events are read. Data fields are printed as the kernel sent
 * them (network byte order values, shown as numbers).
 *
 * A DEX event carries the node data in one attribute (the shape of a TRACE
 * event); dexmon splits it into the named fields of its trace type, and
 * prints "badlen=N" if its length does not match the trace type.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>

/* Our numbers (the series' uapi), not the system's 6.1 uapi headers */
enum { EV_TRACE = 1, EV_DEX = 2 };
enum {
	A_TRACE_NS = 1, A_TRACE_NODELEN, A_TRACE_TYPE, A_TRACE_DATA,
	A_DEX_FLOW, A_DEX_SEQ, A_DEX_NODE_DATA,
};
/* IOAM6_CMD_GET_EVENT_STATS and its attributes */
enum { CMD_GET_EVENT_STATS = 8, A_EVENTS_SENT = 8, A_EVENTS_SUPPRESSED = 9 };

/* RFC 9197 data fields by trace type bit (0 = most significant): name and
 * size in octets; bits 12-21 are undefined (4 octets, printed as bitN)
 */
static const struct { const char *name; int size; } field[12] = {
	{ "hlni", 4 }, { "ifs", 4 }, { "ts", 4 }, { "frac", 4 },
	{ "transit", 4 }, { "nsdata", 4 }, { "qdepth", 4 }, { "csum", 4 },
	{ "hlni_w", 8 }, { "ifs_w", 8 }, { "nsdata_w", 8 }, { "bufocc", 4 },
};

static char buf[1 << 16];
static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int nl_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int rcvbuf = 16 << 20;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("netlink");
		exit(1);
	}
	/* FORCE: root in the guest may go past net.core.rmem_max */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	return fd;
}

static void put_attr(struct nlmsghdr *nlh, int type, const void *data, int len)
{
	struct nlattr *a = (struct nlattr *)((char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) + NLA_ALIGN(a->nla_len);
}

/* Resolves the family id and the id of its multicast group */
static int resolve(int fd, const char *family, const char *group, int *grp_id)
{
	char req[512] = { 0 };
	struct nlmsghdr *nlh = (struct nlmsghdr *)req;
	struct genlmsghdr *g;
	int fam = -1, n;

	nlh->nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	g = NLMSG_DATA(nlh);
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	put_attr(nlh, CTRL_ATTR_FAMILY_NAME, family, strlen(family) + 1);
	if (send(fd, req, nlh->nlmsg_len, 0) < 0)
		return -1;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0)
		return -1;
	for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, n); nlh = NLMSG_NEXT(nlh, n)) {
		struct nlattr *a;
		int len;

		if (nlh->nlmsg_type == NLMSG_ERROR)
			return -1;
		len = nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
		a = (struct nlattr *)((char *)NLMSG_DATA(nlh) + GENL_HDRLEN);
		for (; len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= len;
		     len -= NLA_ALIGN(a->nla_len), a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len))) {
			if ((a->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_FAMILY_ID)
				fam = *(uint16_t *)((char *)a + NLA_HDRLEN);
			if ((a->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_MCAST_GROUPS) {
				struct nlattr *gr = (struct nlattr *)((char *)a + NLA_HDRLEN);
				int glen = a->nla_len - NLA_HDRLEN;

				for (; glen >= NLA_HDRLEN && gr->nla_len >= NLA_HDRLEN && gr->nla_len <= glen;
				     glen -= NLA_ALIGN(gr->nla_len), gr = (struct nlattr *)((char *)gr + NLA_ALIGN(gr->nla_len))) {
					struct nlattr *x = (struct nlattr *)((char *)gr + NLA_HDRLEN);
					int xlen = gr->nla_len - NLA_HDRLEN, id = -1;
					const char *name = NULL;

					for (; xlen >= NLA_HDRLEN && x->nla_len >= NLA_HDRLEN && x->nla_len <= xlen;
					     xlen -= NLA_ALIGN(x->nla_len), x = (struct nlattr *)((char *)x + NLA_ALIGN(x->nla_len))) {
						if (x->nla_type == CTRL_ATTR_MCAST_GRP_ID)
							id = *(uint32_t *)((char *)x + NLA_HDRLEN);
						if (x->nla_type == CTRL_ATTR_MCAST_GRP_NAME)
							name = (char *)x + NLA_HDRLEN;
					}
					if (name && !strcmp(name, group))
						*grp_id = id;
				}
			}
		}
	}
	return fam;
}

static uint32_t be32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return ntohl(v);
}

static uint64_t be64(const void *p)
{
	return ((uint64_t)be32(p) << 32) | be32((const char *)p + 4);
}

static void print_hex(const char *key, const unsigned char *p, int len)
{
	printf(" %s=", key);
	for (int i = 0; i < len; i++)
		printf("%02x", p[i]);
}

/* The node data of a DEX event, split by trace type (host order value of
 * the 32-bit type field, bit 0 = 1 << 31)
 */
static void print_node_data(uint32_t type, const unsigned char *d, int dl)
{
	int off = 0, bit;

	for (bit = 0; bit <= 21; bit++) {
		int size = bit < 12 ? field[bit].size : 4;

		if (!(type & (1u << (31 - bit))))
			continue;
		if (off + size > dl) {
			printf(" badlen=%d", dl);
			return;
		}
		if (bit >= 12)
			printf(" bit%d=0x%08x", bit, be32(d + off));
		else if (size == 4)
			printf(" %s=0x%08x", field[bit].name, be32(d + off));
		else
			printf(" %s=0x%016llx", field[bit].name, (unsigned long long)be64(d + off));
		off += size;
	}
	if (type & (1u << (31 - 22))) {
		uint32_t oss;
		int len;

		if (off + 4 > dl) {
			printf(" badlen=%d", dl);
			return;
		}
		oss = be32(d + off);
		len = (oss >> 24) * 4;
		printf(" oss_scid=0x%08x", oss & 0xffffff);
		off += 4;
		if (off + len > dl) {
			printf(" badlen=%d", dl);
			return;
		}
		if (len)
			print_hex("oss_data", d + off, len);
		off += len;
	}
	if (off != dl)
		printf(" badlen=%d", dl);
}

static void print_event(struct nlmsghdr *nlh, int family)
{
	const unsigned char *node = NULL;
	uint32_t type = 0;
	int node_len = 0;

	struct genlmsghdr *g = NLMSG_DATA(nlh);
	int len = nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	struct nlattr *a = (struct nlattr *)((char *)g + GENL_HDRLEN);

	if (nlh->nlmsg_type != family)
		return;
	printf(g->cmd == EV_DEX ? "DEX" : g->cmd == EV_TRACE ? "TRACE" : "EVENT%u", g->cmd);
	for (; len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= len;
	     len -= NLA_ALIGN(a->nla_len), a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len))) {
		const unsigned char *d = (const unsigned char *)a + NLA_HDRLEN;
		int dl = a->nla_len - NLA_HDRLEN, t = a->nla_type & NLA_TYPE_MASK;
		uint16_t u16;
		uint32_t u32;

		switch (t) {
		case A_TRACE_NS:
			memcpy(&u16, d, 2);
			printf(" ns=%u", u16);
			break;
		case A_TRACE_NODELEN:
			printf(" nodelen=%u", d[0]);
			break;
		case A_TRACE_TYPE:
			memcpy(&type, d, 4);
			printf(" type=0x%06x", type >> 8);
			break;
		case A_TRACE_DATA:
			print_hex("data", d, dl);
			break;
		case A_DEX_FLOW:
			memcpy(&u32, d, 4);
			printf(" flow=0x%08x", u32);
			break;
		case A_DEX_SEQ:
			memcpy(&u32, d, 4);
			printf(" seq=%u", u32);
			break;
		case A_DEX_NODE_DATA:
			node = d;
			node_len = dl;
			break;
		default:
			print_hex("unknown", d, dl);
		}
	}
	/* after the loop: the trace type may come after the data */
	if (g->cmd == EV_DEX && node)
		print_node_data(type, node, node_len);
	printf("\n");
}

/* IOAM6_CMD_GET_EVENT_STATS: the event counters of this namespace */
static int print_stats(int fd, int family)
{
	char req[64] = { 0 };
	struct nlmsghdr *nlh = (struct nlmsghdr *)req;
	long long sent = -1, suppressed = -1;
	struct genlmsghdr *g;
	int n;

	nlh->nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	g = NLMSG_DATA(nlh);
	g->cmd = CMD_GET_EVENT_STATS;
	g->version = 1;
	if (send(fd, req, nlh->nlmsg_len, 0) < 0)
		return 1;
	n = recv(fd, buf, sizeof(buf), 0);
	for (nlh = (struct nlmsghdr *)buf; n > 0 && NLMSG_OK(nlh, n); nlh = NLMSG_NEXT(nlh, n)) {
		int len = nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
		struct nlattr *a = (struct nlattr *)((char *)NLMSG_DATA(nlh) + GENL_HDRLEN);

		if (nlh->nlmsg_type == NLMSG_ERROR) {
			fprintf(stderr, "dexmon: IOAM6_CMD_GET_EVENT_STATS: error %d\n",
				((struct nlmsgerr *)NLMSG_DATA(nlh))->error);
			return 1;
		}
		for (; len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= len;
		     len -= NLA_ALIGN(a->nla_len), a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len))) {
			uint64_t v;

			if (a->nla_len != NLA_HDRLEN + 8)
				continue;
			memcpy(&v, (char *)a + NLA_HDRLEN, 8);
			if (a->nla_type == A_EVENTS_SENT)
				sent = v;
			if (a->nla_type == A_EVENTS_SUPPRESSED)
				suppressed = v;
		}
	}
	if (sent < 0 || suppressed < 0) {
		fprintf(stderr, "dexmon: no event statistics in the reply\n");
		return 1;
	}
	printf("STATS sent=%lld suppressed=%lld\n", sent, suppressed);
	return 0;
}

int main(int argc, char **argv)
{
	int count = -1, timeout = 3000, events = 0, fd, family, grp = -1, opt, stats = 0, raw = 0;

	while ((opt = getopt(argc, argv, "n:st:x")) != -1) {
		if (opt == 'x')
			raw = 1;
		else if (opt == 'n')
			count = atoi(optarg);
		else if (opt == 's')
			stats = 1;
		else if (opt == 't')
			timeout = atoi(optarg);
		else
			return 2;
	}
	fd = nl_open();
	family = resolve(fd, "IOAM6", "ioam6_events", &grp);
	if (family < 0 || grp < 0) {
		fprintf(stderr, "dexmon: IOAM6 family or ioam6_events group not found\n");
		return 1;
	}
	if (stats)
		return print_stats(fd, family);
	if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)) < 0) {
		perror("NETLINK_ADD_MEMBERSHIP");
		return 1;
	}
	signal(SIGTERM, on_term);
	printf("READY\n");
	fflush(stdout);
	while (count < 0 || events < count) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct nlmsghdr *nlh;
		int n;

		/* SIGTERM: read what is queued, then end */
		if (!stop && poll(&p, 1, timeout) <= 0 && !stop)
			break;
		n = recv(fd, buf, sizeof(buf), stop ? MSG_DONTWAIT : 0);
		if (n < 0) {
			if (stop && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				printf("ENOBUFS\n");
				continue;
			}
			perror("recv");
			return 1;
		}
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, n); nlh = NLMSG_NEXT(nlh, n)) {
			if (raw && nlh->nlmsg_type == family) {
				printf("RAW");
				print_hex("msg", (const unsigned char *)nlh, nlh->nlmsg_len);
				printf("\n");
			}
			print_event(nlh, family);
			events++;
		}
		fflush(stdout);
	}
	printf("END events=%d\n", events);
	return 0;
}
