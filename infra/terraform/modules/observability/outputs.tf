output "sns_topic_arn" {
  description = "ARN of the KMS-encrypted alarm topic. CloudWatch alarms and AWS Budgets of this account may publish to it."
  value       = aws_sns_topic.alarms.arn

  # AWS Budgets checks that it may publish when a budget is created, so whoever
  # uses the ARN must wait for the topic policy, not only the topic.
  depends_on = [aws_sns_topic_policy.alarms]
}

output "kms_key_arn" {
  description = "ARN of the customer managed key that encrypts the alarm topic."
  value       = aws_kms_key.alarms.arn
}

output "alarm_names" {
  description = "Name of every alarm, by role: ecs_cpu, ecs_memory, ecs_running_tasks, alb_5xx_rate, alb_p99_latency, alb_unhealthy_hosts (plus _green variants with blue/green) and, with a database, rds_cpu, rds_free_storage, rds_connections."
  value       = local.alarm_names
}

output "deployment_alarm_names" {
  description = "Names of the alarms a bad deployment trips (5xx rate, p99 latency, unhealthy hosts), for the ECS deployment alarms or CodeDeploy."
  value       = local.deployment_alarm_names
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}
