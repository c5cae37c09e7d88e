/* a plugin built for another pxl: pxl must name it and skip it */
#include "pxl-plugin.h"

static const struct pxl_cmd *const cmds[] = { NULL };
const struct pxl_plugin pxl_plugin = { PXL_ABI_VERSION + 41, cmds };
