// (a) One meridian-server launcher with --frontends 2: clients on different frontends.
import { clusterSuite, frontendsTopology, meridianSkip } from "../lib/cluster.mjs";

clusterSuite("meridian --frontends 2", () => frontendsTopology(2), { skip: meridianSkip() });
