// SPDX-License-Identifier: MIT
/* qexit: report the verdict to the host through qemu's isa-debug-exit device
 * (iobase 0xf4). qemu then exits with status (value << 1) | 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/io.h>

int main(int argc, char **argv)
{
	unsigned long v = argc > 1 ? strtoul(argv[1], NULL, 0) : 0x11;

	if (ioperm(0xf4, 4, 1)) {
		perror("ioperm");
		return 1;
	}
	outl((unsigned int)v, 0xf4);
	return 1; /* not reached when the device exists */
}
