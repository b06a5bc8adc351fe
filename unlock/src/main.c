/* SPDX-License-Identifier: MIT */
/* main.c: ade-unlock's command line: what to run, and the exit code. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchmark.h"
#include "log.h"
#include "secret.h"
#include "selfcheck.h"
#include "unlock.h"
#include "version.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: ade-unlock [OPTION]...\n"
	    "Unlock the LUKS devices of an ADE-encrypted VM with the key on its\n"
	    "BEK volume (early boot). Without an action option it unlocks.\n"
	    "\n"
	    "  --dry-run                       find the BEK volume, read the keys and\n"
	    "                                  verify them against every header;\n"
	    "                                  activate nothing\n"
	    "  --cmdline FILE                  kernel command line (default: as dracut\n"
	    "                                  reads it, /etc/cmdline.d/*.conf, then\n"
	    "                                  /etc/cmdline, then /proc/cmdline; with\n"
	    "                                  FILE: FILE alone, or after --cmdline-dir)\n"
	    "  --cmdline-dir DIR               read DIR/*.conf first (default\n"
	    "                                  /etc/cmdline.d, none with --cmdline)\n"
	    "  --crypttab FILE                 crypttab (default /etc/crypttab)\n"
	    "  --conf FILE                     config (default /etc/ade-unlock.conf)\n"
	    "  --debug                         verbose log, as rd.ade.debug (never secrets)\n"
	    "  --status FILE                   write each device's outcome to FILE\n"
	    "                                  (\"NAME STATE [nofail]\" lines)\n"
	    "  --fallback-crypttab FILE        write crypttab(5) lines (key none) for\n"
	    "                                  the devices the boot needs that were not\n"
	    "                                  opened, for another tool's prompt\n"
	    "  --kmsg / --no-kmsg              also log to /dev/kmsg (default: only\n"
	    "                                  in the initramfs)\n"
	    "  --self-check[=user|kernel|all]  known-answer tests of the crypto this\n"
	    "                                  binary relies on (default: user)\n"
	    "  --benchmark[=MS]                PBKDF speeds, as `cryptsetup benchmark`\n"
	    "  --version                       versions of ade-unlock and its libraries\n"
	    "  --help                          this text\n");
}

int
main(int argc, char **argv)
{
	enum { OPT_SELF_CHECK = 256, OPT_BENCHMARK, OPT_VERSION, OPT_HELP,
		OPT_DRY_RUN, OPT_CMDLINE, OPT_CRYPTTAB, OPT_CONF, OPT_DEBUG, OPT_STATUS,
		OPT_KMSG, OPT_NO_KMSG, OPT_CMDLINE_DIR, OPT_FALLBACK };
	static const struct option opts[] = {
		{ "self-check", optional_argument, NULL, OPT_SELF_CHECK },
		{ "benchmark", optional_argument, NULL, OPT_BENCHMARK },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "cmdline", required_argument, NULL, OPT_CMDLINE },
		{ "cmdline-dir", required_argument, NULL, OPT_CMDLINE_DIR },
		{ "crypttab", required_argument, NULL, OPT_CRYPTTAB },
		{ "conf", required_argument, NULL, OPT_CONF },
		{ "debug", no_argument, NULL, OPT_DEBUG },
		{ "status", required_argument, NULL, OPT_STATUS },
		{ "fallback-crypttab", required_argument, NULL, OPT_FALLBACK },
		{ "kmsg", no_argument, NULL, OPT_KMSG },
		{ "no-kmsg", no_argument, NULL, OPT_NO_KMSG },
		{ NULL, 0, NULL, 0 },
	};
	struct unlock_opts uo = {
		.cmdline_path = "/proc/cmdline",
		.etc_cmdline_path = "/etc/cmdline",
		.crypttab_path = "/etc/crypttab",
		.conf_path = "/etc/ade-unlock.conf",
		/* In the initramfs, the console may be gone: kmsg keeps the log. */
		.kmsg = access("/etc/initrd-release", F_OK) == 0,
	};
	const char *cmdline_file = NULL, *cmdline_dir = NULL;
	unsigned check_flags = 0, bench_ms = 0;
	int do_bench = 0, c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case OPT_SELF_CHECK:
			if (optarg == NULL || strcmp(optarg, "user") == 0)
				check_flags = SELFCHECK_USER;
			else if (strcmp(optarg, "kernel") == 0)
				check_flags = SELFCHECK_KERNEL;
			else if (strcmp(optarg, "all") == 0)
				check_flags = SELFCHECK_USER | SELFCHECK_KERNEL;
			else {
				log_error("usage", "--self-check='%s': expected user, "
				    "kernel or all", optarg);
				return 1;
			}
			break;
		case OPT_BENCHMARK: {
			char *end;

			do_bench = 1;
			if (optarg == NULL)
				break;
			errno = 0;
			unsigned long v = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || v == 0 || v > 60000) {
				log_error("usage", "--benchmark='%s': expected "
				    "milliseconds, 1..60000", optarg);
				return 1;
			}
			bench_ms = (unsigned)v;
			break;
		}
		case OPT_VERSION:
			version_print(stdout);
			return 0;
		case OPT_HELP:
			usage(stdout);
			return 0;
		case OPT_DRY_RUN:
			uo.dry_run = true;
			break;
		case OPT_CMDLINE:
			cmdline_file = optarg;
			break;
		case OPT_CMDLINE_DIR:
			cmdline_dir = optarg;
			break;
		case OPT_CRYPTTAB:
			uo.crypttab_path = optarg;
			break;
		case OPT_CONF:
			uo.conf_path = optarg;
			break;
		case OPT_DEBUG:
			uo.debug = true;
			log_set_debug(true);
			break;
		case OPT_STATUS:
			uo.status_path = optarg;
			break;
		case OPT_FALLBACK:
			uo.fallback_path = optarg;
			break;
		case OPT_KMSG:
			uo.kmsg = true;
			break;
		case OPT_NO_KMSG:
			uo.kmsg = false;
			break;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind < argc) {
		log_error("usage", "unexpected argument '%s'", argv[optind]);
		return 1;
	}
	/*
	 * As dracut's getcmdline(): the *.conf files of /etc/cmdline.d, then
	 * /etc/cmdline, then /proc/cmdline. --cmdline FILE (tests, the
	 * installer's check) reads FILE alone, after DIR's files if
	 * --cmdline-dir DIR is given too.
	 */
	if (cmdline_file != NULL) {
		uo.cmdline_path = cmdline_file;
		uo.cmdline_dir = cmdline_dir;
		uo.etc_cmdline_path = NULL;
	} else {
		uo.cmdline_dir = cmdline_dir != NULL ? cmdline_dir :
		    "/etc/cmdline.d";
	}
	if (check_flags != 0)
		return selfcheck_run(check_flags);
	if (do_bench)
		return benchmark_run(bench_ms) < 0 ? 1 : 0;

	return unlock_run(&uo);
}
