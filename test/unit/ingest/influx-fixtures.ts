/**
 * Line protocol examples copied from the documentation and from Telegraf's own tests, so
 * the parser is checked against what the format's authors say it is.
 */

/**
 * InfluxDB v2 line protocol reference, influxdata/docs-v2
 * content/influxdb/v2/reference/syntax/line-protocol.md (commit 0967a8aab6769ce5b41b9a3fe8785ad3a8153349),
 * https://docs.influxdata.com/influxdb/v2/reference/syntax/line-protocol/
 */
export const DOCS = {
  syntaxExample: 'myMeasurement,tag1=value1,tag2=value2 fieldKey="fieldValue" 1556813561098000000',
  floats: ['myMeasurement fieldKey=1.0', 'myMeasurement fieldKey=1', 'myMeasurement fieldKey=-1.234456e+78'],
  integers: ['myMeasurement fieldKey=1i', 'myMeasurement fieldKey=12485903i', 'myMeasurement fieldKey=-12485903i'],
  uintegers: ['myMeasurement fieldKey=1u', 'myMeasurement fieldKey=12485903u'],
  booleans: [
    'myMeasurement fieldKey=true',
    'myMeasurement fieldKey=false',
    'myMeasurement fieldKey=t',
    'myMeasurement fieldKey=f',
    'myMeasurement fieldKey=TRUE',
    'myMeasurement fieldKey=FALSE',
  ],
  // "Examples of special characters in line protocol"
  measurementWithSpaces: 'my\\ Measurement fieldKey="string value"',
  quotesInString: 'myMeasurement fieldKey="\\"string\\" within a string"',
  tagsWithSpaces: 'myMeasurement,tag\\ Key1=tag\\ Value1,tag\\ Key2=tag\\ Value2 fieldKey=100',
  emojis: 'myMeasurement,tagKey=🍭 fieldKey="Launch 🚀" 1556813561098000000',
  comment: '# This is a comment\nmyMeasurement fieldKey="string value" 1556813561098000000',
  /** "Escaping backslashes": written → interpreted. */
  backslashes: [
    ['\\', '\\'],
    ['\\\\', '\\'],
    ['\\\\\\', '\\\\'],
    ['\\\\\\\\', '\\\\'],
    ['\\\\\\\\\\', '\\\\\\'],
    ['\\\\\\\\\\\\', '\\\\\\'],
  ] as const,
};

/**
 * Telegraf's influx serializer expectations, influxdata/telegraf
 * plugins/serializers/influx/influx_test.go (commit 0647c05928cc59288c73f63289d98c51ba67a77f):
 * exactly what its Kafka output writes with data_format = "influx".
 */
export const TELEGRAF = {
  minimal: 'cpu value=42 0\n',
  multipleTags: 'cpu,cpu=CPU0,host=localhost value=42 0\n',
  timestamp: 'cpu value=42 1519194109000000042\n',
  splitFields: 'cpu abc=123i 1519194109000000042\ncpu def=456i 1519194109000000042\n',
  nameNewline: 'c\\npu value=42i 0\n',
  uintMax: 'cpu value=18446744073709551615u 0\n',
  procstat:
    'procstat,exe=bash,process_name=bash cpu_time=0i,cpu_time_guest=0,cpu_time_guest_nice=0,cpu_time_idle=0,cpu_time_iowait=0,cpu_time_irq=0,cpu_time_nice=0,cpu_time_soft_irq=0,cpu_time_steal=0,cpu_time_stolen=0,cpu_time_system=0,cpu_time_user=0.02,cpu_usage=0,involuntary_context_switches=2i,memory_data=1576960i,memory_locked=0i,memory_rss=5103616i,memory_stack=139264i,memory_swap=0i,memory_vms=21659648i,nice_priority=20i,num_fds=4i,num_threads=1i,pid=29417i,read_bytes=0i,read_count=259i,realtime_priority=0i,rlimit_cpu_time_hard=2147483647i,rlimit_cpu_time_soft=2147483647i,rlimit_file_locks_hard=2147483647i,rlimit_file_locks_soft=2147483647i,rlimit_memory_data_hard=2147483647i,rlimit_memory_data_soft=2147483647i,rlimit_memory_locked_hard=65536i,rlimit_memory_locked_soft=65536i,rlimit_memory_rss_hard=2147483647i,rlimit_memory_rss_soft=2147483647i,rlimit_memory_stack_hard=2147483647i,rlimit_memory_stack_soft=8388608i,rlimit_memory_vms_hard=2147483647i,rlimit_memory_vms_soft=2147483647i,rlimit_nice_priority_hard=0i,rlimit_nice_priority_soft=0i,rlimit_num_fds_hard=4096i,rlimit_num_fds_soft=1024i,rlimit_realtime_priority_hard=0i,rlimit_realtime_priority_soft=0i,rlimit_signals_pending_hard=78994i,rlimit_signals_pending_soft=78994i,signals_pending=0i,voluntary_context_switches=42i,write_bytes=106496i,write_count=35i 1517620624000000000\n',
};
