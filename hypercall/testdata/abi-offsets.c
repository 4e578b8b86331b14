/* abi-offsets.c: prints the sizes and offsets that hypercall/abi_test.go checks.
 * Built against xen/include/public at each RELEASE-4.x.0 tag of xen-project/xen:
 *   gcc -D__XEN_TOOLS__ [-DPHYS417 for 4.17+] -I<tag>/xen/include abi-offsets.c
 *   aarch64-linux-gnu-gcc -static ... (run with qemu-aarch64-static) for arm64.
 * Outputs: abi-offsets.<arch>-<tag>.txt beside this file. */
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <public/xen.h>
#include <public/version.h>
#include <public/sysctl.h>
#include <public/domctl.h>
#include <public/platform.h>
#define S(t) printf("size %s %zu\n", #t, sizeof(t))
#define O(t,f) printf("off %s.%s %zu\n", #t, #f, offsetof(t,f))
int main(void){
 S(struct xen_sysctl); O(struct xen_sysctl,cmd);O(struct xen_sysctl,interface_version);O(struct xen_sysctl,u);
 S(struct xenctl_bitmap); O(struct xenctl_bitmap,nr_bits);
 S(struct xen_sysctl_physinfo);
 O(struct xen_sysctl_physinfo,threads_per_core);O(struct xen_sysctl_physinfo,cores_per_socket);O(struct xen_sysctl_physinfo,nr_cpus);O(struct xen_sysctl_physinfo,max_cpu_id);O(struct xen_sysctl_physinfo,nr_nodes);O(struct xen_sysctl_physinfo,max_node_id);O(struct xen_sysctl_physinfo,cpu_khz);O(struct xen_sysctl_physinfo,capabilities);
#ifdef PHYS417
 O(struct xen_sysctl_physinfo,arch_capabilities);O(struct xen_sysctl_physinfo,pad);
#endif
 O(struct xen_sysctl_physinfo,total_pages);O(struct xen_sysctl_physinfo,free_pages);O(struct xen_sysctl_physinfo,scrub_pages);O(struct xen_sysctl_physinfo,outstanding_pages);O(struct xen_sysctl_physinfo,max_mfn);O(struct xen_sysctl_physinfo,hw_cap);
 S(struct xen_sysctl_sched_id);
 S(struct xen_sysctl_cpu_hotplug);O(struct xen_sysctl_cpu_hotplug,op);
 S(struct xen_sysctl_cputopoinfo);O(struct xen_sysctl_cputopoinfo,cputopo);
 S(struct xen_sysctl_cputopo);O(struct xen_sysctl_cputopo,socket);O(struct xen_sysctl_cputopo,node);
 S(struct xen_sysctl_numainfo);O(struct xen_sysctl_numainfo,meminfo);O(struct xen_sysctl_numainfo,distance);
 S(struct xen_sysctl_meminfo);O(struct xen_sysctl_meminfo,memfree);
 S(struct xen_sysctl_getdomaininfolist);O(struct xen_sysctl_getdomaininfolist,max_domains);O(struct xen_sysctl_getdomaininfolist,buffer);O(struct xen_sysctl_getdomaininfolist,num_domains);
 S(struct xen_sysctl_cpupool_op);O(struct xen_sysctl_cpupool_op,cpupool_id);O(struct xen_sysctl_cpupool_op,sched_id);O(struct xen_sysctl_cpupool_op,domid);O(struct xen_sysctl_cpupool_op,cpu);O(struct xen_sysctl_cpupool_op,n_dom);O(struct xen_sysctl_cpupool_op,cpumap);
 S(struct xen_sysctl_scheduler_op);O(struct xen_sysctl_scheduler_op,sched_id);O(struct xen_sysctl_scheduler_op,cmd);O(struct xen_sysctl_scheduler_op,u);
 S(struct xen_sysctl_credit_schedule);S(struct xen_sysctl_credit2_schedule);
 S(struct xen_sysctl_arinc653_schedule);O(struct xen_sysctl_arinc653_schedule,num_sched_entries);O(struct xen_sysctl_arinc653_schedule,sched_entries);
 S(((struct xen_sysctl_arinc653_schedule*)0)->sched_entries[0]);
 O(struct xen_sysctl_arinc653_schedule,sched_entries[0].vcpu_id);O(struct xen_sysctl_arinc653_schedule,sched_entries[0].runtime);O(struct xen_sysctl_arinc653_schedule,sched_entries[1]);
 S(struct xen_domctl);O(struct xen_domctl,cmd);O(struct xen_domctl,interface_version);O(struct xen_domctl,domain);O(struct xen_domctl,u);
 S(struct xen_domctl_getdomaininfo);
 O(struct xen_domctl_getdomaininfo,flags);O(struct xen_domctl_getdomaininfo,tot_pages);O(struct xen_domctl_getdomaininfo,max_pages);O(struct xen_domctl_getdomaininfo,outstanding_pages);O(struct xen_domctl_getdomaininfo,shr_pages);O(struct xen_domctl_getdomaininfo,paged_pages);O(struct xen_domctl_getdomaininfo,shared_info_frame);O(struct xen_domctl_getdomaininfo,cpu_time);O(struct xen_domctl_getdomaininfo,nr_online_vcpus);O(struct xen_domctl_getdomaininfo,max_vcpu_id);O(struct xen_domctl_getdomaininfo,ssidref);O(struct xen_domctl_getdomaininfo,handle);O(struct xen_domctl_getdomaininfo,cpupool);O(struct xen_domctl_getdomaininfo,gpaddr_bits);O(struct xen_domctl_getdomaininfo,arch_config);
 S(struct xen_arch_domainconfig);
 S(struct xen_domctl_scheduler_op);O(struct xen_domctl_scheduler_op,cmd);O(struct xen_domctl_scheduler_op,u);
 O(struct xen_domctl_scheduler_op,u.v.vcpus);O(struct xen_domctl_scheduler_op,u.v.nr_vcpus);O(struct xen_domctl_scheduler_op,u.v.padding);
 S(struct xen_domctl_schedparam_vcpu);O(struct xen_domctl_schedparam_vcpu,vcpuid);
 S(struct xen_domctl_sched_rtds);S(struct xen_domctl_sched_credit);S(struct xen_domctl_sched_credit2);
 S(struct xen_platform_op);O(struct xen_platform_op,u);
 S(struct xenpf_pcpuinfo);O(struct xenpf_pcpuinfo,max_present);O(struct xenpf_pcpuinfo,flags);O(struct xenpf_pcpuinfo,apic_id);O(struct xenpf_pcpuinfo,acpi_id);
 S(struct xenpf_cpu_ol);
 S(xen_extraversion_t); S(xen_commandline_t); S(struct xen_build_id);
 printf("XEN_INVALID_MEM_SZ %llx\n", (unsigned long long)(uint64_t)XEN_INVALID_MEM_SZ);
 return 0;
}
