// (b) One meridian-server launcher with --frontends 3: clients on different frontends.
import { clusterSuite, frontendsTopology, meridianSkip } from "../lib/cluster.mjs";

clusterSuite("meridian --frontends 3", () => frontendsTopology(3), { skip: meridianSkip() });
