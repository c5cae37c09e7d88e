/* version.c - what the library says about itself */
#include "config.h"
#include "physmap/physmap.h"

const char *pm_version(void)
{
	return PACKAGE_VERSION;
}
