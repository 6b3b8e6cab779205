// The loader (cn/loader.hpp), inside: reading the parameter list a plugin
// declares (cn_param_list, since ABI 1.2) into ParameterSpecs.
#ifndef CN_LOADER_PARAMETERS_HPP
#define CN_LOADER_PARAMETERS_HPP

#include <cn/loader.hpp>

#include <string>
#include <vector>

namespace cn::detail {

// Copies the parameters of list into specs, in order. list's header
// (struct_size, abi_version) has been checked by the caller, with the
// growth rule of the other tables. Returns why the list is unusable, or ""
// if it is not: a param_size smaller than a 1.2 cn_param, params NULL with
// a count, a parameter without a name or with one already used, a type
// this host does not know, an enum without choices, an integer range whose
// min is above its max. The whole list is checked at load time so that a
// plugin's mistake is found by its author, not by the first user whose
// config meets it.
std::string read_parameters(const cn_param_list &list, std::vector<ParameterSpec> &specs);

}  // namespace cn::detail

#endif
