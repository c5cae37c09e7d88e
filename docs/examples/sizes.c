/*
 * sizes.c - parse sizes the way xl and pxl do, using the installed library.
 *
 *   cc sizes.c $(pkg-config --cflags --libs physmap) -o sizes
 *   ./sizes 512 2g 64k 4096b 1.5g
 */
#include <stdio.h>
#include <string.h>

#include <physmap/physmap.h>

int main(int argc, char **argv)
{
	int status = 0;

	printf("libphysmap %s\n", pm_version());
	for (int i = 1; i < argc; i++) {
		char canon[24];
		uint64_t bytes;
		int rc = pm_size_parse(argv[i], PM_SIZE_M, &bytes);

		if (rc < 0) {
			fprintf(stderr, "sizes: '%s': %s\n", argv[i], strerror(-rc));
			status = 1;
			continue;
		}
		pm_size_format(bytes, canon, sizeof(canon));
		printf("%-12s = %20llu bytes = %s\n", argv[i],
		       (unsigned long long)bytes, canon);
	}
	return status;
}
