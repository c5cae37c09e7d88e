/*
 * config-keys-doc - print docs/xl-cfg-keys.md from the code's own key
 * tables: the xl.cfg(5) keys physmap honours (what each backend does with
 * them), each board's keys, and the keys it warns about and ignores (why).
 * `make update-docs` writes the file; tests/integration/config-keys-doc.sh
 * checks the committed one is what this prints.
 */
#include <stdio.h>

#include "physmap/config.h"
#include "physmap/board.h"

/* a table cell: | would end it */
static void cell(const char *s)
{
	putchar(' ');
	for (; *s; s++)
		fputs(*s == '|' ? "\\|" : (char[]){ *s, 0 }, stdout);
	fputs(" |", stdout);
}

int main(void)
{
	size_t n = 0;

	puts("# xl.cfg keys, and what physmap does with each\n");
	puts("Every top-level key of xl.cfg(5) of Xen 4.17 is read. Printed from the");
	puts("code's own tables (`libphysmap/config-keys.c`, the boards' key tables)");
	puts("by `make update-docs`; do not edit it by hand.\n");
	puts("## Keys physmap honours\n");
	puts("| key | simulator | xen |");
	puts("|---|---|---|");
	for (const struct pm_config_key *k = pm_config_keys_honoured(); k->key; k++, n++) {
		printf("| `%s` |", k->key);
		cell(k->sim);
		cell(k->xen ? k->xen : "as on the simulator");
		putchar('\n');
	}
	puts("\n## Board keys\n");
	puts("physmap's own keys, for the board the config chooses (`board =`); a key of");
	puts("another board is an error, unless xl.cfg(5) has it (then a warning).");
	for (const struct board_ops *const *b = pm_board_list(); *b; b++) {
		printf("\n### %s\n\n| key | type | meaning |\n|---|---|---|\n", (*b)->name);
		for (const struct pm_board_key *k = (*b)->keys; k && k->name; k++) {
			printf("| `%s` | %s |", k->name, k->type);
			cell(k->help);
			putchar('\n');
		}
	}
	puts("\n## Keys warned about and ignored\n");
	puts("Each is accepted, as xl accepts it, with one warning naming the key and");
	puts("why (`FILE:LINE: KEY: WHY; ignored`), on both backends.\n");
	puts("| key | why |");
	puts("|---|---|");
	for (const struct pm_config_key *k = pm_config_keys_ignored(); k->key; k++, n++) {
		printf("| `%s` |", k->key);
		cell(k->why);
		putchar('\n');
	}
	printf("\n%zu keys of xl.cfg(5) and physmap in all, board keys aside.\n", n);
	return 0;
}
