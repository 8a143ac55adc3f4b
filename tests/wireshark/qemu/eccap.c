// eccap IFACE OUT.pcap SECONDS: every frame on IFACE (AF_PACKET) for
// SECONDS into a pcap (LINKTYPE_ETHERNET); outgoing frames are left out.
// Runs in the qemu guest (tests/wireshark/qemu/make-pcaps.sh).
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 4) { fprintf(stderr, "usage: eccap IFACE OUT SECONDS\n"); return 2; }
	int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0) { perror("socket"); return 1; }
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = (int)if_nametoindex(argv[1]) };
	if (!sll.sll_ifindex || bind(fd, (struct sockaddr *)&sll, sizeof sll)) { perror("bind"); return 1; }
	FILE *f = fopen(argv[2], "wb");
	if (!f) { perror(argv[2]); return 1; }
	uint32_t h[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1 };
	fwrite(h, sizeof h, 1, f);
	fflush(f);
	time_t end = time(NULL) + atoi(argv[3]);
	unsigned char buf[65536];
	int n = 0;
	while (time(NULL) < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 200) <= 0) continue;
		struct sockaddr_ll from; socklen_t fl = sizeof from;
		ssize_t len = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
		if (len <= 0) continue;
		if (from.sll_pkttype == PACKET_OUTGOING) continue;	/* what arrives only */
		struct timeval tv; gettimeofday(&tv, NULL);
		uint32_t r[4] = { (uint32_t)tv.tv_sec, (uint32_t)tv.tv_usec, (uint32_t)len, (uint32_t)len };
		fwrite(r, sizeof r, 1, f);
		fwrite(buf, (size_t)len, 1, f);
		fflush(f);
		n++;
	}
	fclose(f);
	fprintf(stderr, "eccap: %d frames\n", n);
	return 0;
}
