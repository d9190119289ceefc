/* budget.fraction test, spinner: never blocks; publishes how long it ran in the "meter" page. */
#include <bh.h>

#include "budget_meter.h"
#include "verdict.h"

int main(void)
{
	const struct bh_info_entry *e = bh_lookup("meter", BH_RES_MAP);
	struct meter m;

	if (!e) {
		verdict("budget.fraction", false,
		        "no map \"meter\" in the spinner's manifest entry");
		return 1;
	}
	volatile struct meter_page *page = (volatile struct meter_page *)(uintptr_t)e->vaddr;
	say("start\n");
	meter_start(&m);
	for (;;) {
		meter_step(&m);
		page->ran = m.ran;
	}
}
