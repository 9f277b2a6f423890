#!/usr/bin/env bash
# The pictures of `make bench` (gnuplot; Debian's gnuplot-nox): from the
# data files bench.sh leaves in var/bench:
#   cpu.png        CPU per 1000 stored MESSAGEs against the rate, both
#   latency.png    p50 and p99 of the 202 against the rate, both
#   burst-shm.png  shared memory in use during the burst, both, 64 MB
#
#   scripts/bench-charts.sh DIR BURST_N
set -uo pipefail
. "$(dirname "$0")/lib.sh"
OUT=$1
BURST_N=$2
log() { echo "bench: $*" >&2; }
if ! command -v gnuplot >/dev/null; then
	log "no gnuplot: no pictures (apt-get install gnuplot-nox)"
	exit 0
fi
# the first line of *.rates.dat is the light load: its CPU per message is
# mostly what idle processes burn meanwhile, so the CPU picture leaves it out
gnuplot <<EOG 2>"$OUT/gnuplot.log" || { log "gnuplot failed: $OUT/gnuplot.log"; exit 1; }
set terminal pngcairo size 800,480 font ",11"
set grid
set key top right
set logscale x 2
set xlabel "MESSAGEs stored per second"
set output "$OUT/cpu.png"
set title "CPU (Kamailio + PostgreSQL) per 1000 stored MESSAGEs"
set ylabel "CPU ms per 1000"
set yrange [0:*]
plot "$OUT/msilo.rates.dat" every ::1 using 1:2 with linespoints lw 2 lc rgb "#8b00b0" title "msilo", \
	"$OUT/sfwd.rates.dat" every ::1 using 1:2 with linespoints lw 2 lc rgb "#009e73" title "sfwd"
set output "$OUT/latency.png"
set key top left
set title "Response time of a stored MESSAGE (its 202)"
set ylabel "ms"
plot "$OUT/msilo.rates.dat" using 1:3 with linespoints lw 2 lc rgb "#8b00b0" title "msilo p50", \
	"$OUT/msilo.rates.dat" using 1:4 with linespoints lw 2 dt 2 lc rgb "#8b00b0" title "msilo p99", \
	"$OUT/sfwd.rates.dat" using 1:3 with linespoints lw 2 lc rgb "#009e73" title "sfwd p50", \
	"$OUT/sfwd.rates.dat" using 1:4 with linespoints lw 2 dt 2 lc rgb "#009e73" title "sfwd p99"
unset logscale x
set output "$OUT/burst-shm.png"
set key top right
set title "Shared memory in use: $BURST_N MESSAGEs in a burst, Kamailio with 64 MB"
set xlabel "seconds from the burst's start"
set ylabel "MB"
set yrange [0:72]
plot "$OUT/msilo.burst.dat" using 1:2 with lines lw 2 lc rgb "#8b00b0" title "msilo", \
	"$OUT/sfwd.burst.dat" using 1:2 with lines lw 2 lc rgb "#009e73" title "sfwd", \
	64 with lines dt 3 lc rgb "red" title "64 MB"
EOG
log "written $OUT/cpu.png, $OUT/latency.png, $OUT/burst-shm.png"
