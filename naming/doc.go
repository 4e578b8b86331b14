// Package naming is the one home of the toolstack's naming rules: where
// a domain and a cpupool keep their homes and names in XenStore, and how
// xl reads a qualifier (libxl_domain_qualifier_to_domid,
// libxl_cpupool_qualifier_to_cpupoolid): all digits is an id, anything
// else a name, and the lowest id wins when two share a name. It is pure
// data and imports nothing of the module.
package naming
