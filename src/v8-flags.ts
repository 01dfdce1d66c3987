import { setFlagsFromString } from 'node:v8';

/**
 * V8 settings of every spajobs process, imported first by each entry point (main, worker), so
 * they hold whatever command line started it.
 *
 * No allocation-site pretenuring. V8 allocates straight into the old generation the objects of a
 * site whose objects mostly survived young collections; under load it judged the sites of the
 * request and response objects that way, so their short-lived objects sat in the old generation
 * until a full collection and kept what they referenced alive through every young one. Measured
 * on the bench's cached read (`--phases compare`, Node 24): 1.9–2.0 MB promoted per young collection
 * and 4.1–4.3 ms each, five full collections in 15 s, p99 40–44 ms; without it 0.01 MB, 0.9 ms,
 * none, 12–14 ms, and 25% more requests per CPU second (bench/README.md, "Sixth pass").
 */
setFlagsFromString('--no-allocation-site-pretenuring');
