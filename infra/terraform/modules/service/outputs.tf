output "cluster_name" {
  description = "Name of the ECS cluster (the module's name)."
  value       = aws_ecs_cluster.this.name
}

output "cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = aws_ecs_cluster.this.arn
}

output "service_name" {
  description = "Name of the ECS service (the module's name)."
  value       = local.service_name
}

output "security_group_id" {
  description = "Security group of the tasks: give it to the database module's allowed_security_group_ids."
  value       = aws_security_group.this.id
}

output "task_role_arn" {
  description = "ARN of the task role (the containers' credentials)."
  value       = aws_iam_role.task.arn
}

output "execution_role_arn" {
  description = "ARN of the task execution role (image pull, logs, injected secrets)."
  value       = aws_iam_role.execution.arn
}

output "task_definition_arn" {
  description = "ARN, with revision, of the task definition Terraform registered."
  value       = aws_ecs_task_definition.this.arn
}

output "task_definition_family" {
  description = "Family of the task definition (the module's name), for pipelines that register new revisions."
  value       = aws_ecs_task_definition.this.family
}

output "log_group_name" {
  description = "CloudWatch Logs log group of the containers' output."
  value       = aws_cloudwatch_log_group.this.name
}

output "metrics_log_group_name" {
  description = "CloudWatch Logs log group of the collector's embedded metric format records."
  value       = aws_cloudwatch_log_group.metrics.name
}

output "log_kms_key_arn" {
  description = "ARN of the KMS key that encrypts both log groups."
  value       = aws_kms_key.logs.arn
}

output "codedeploy_app_name" {
  description = "Name of the CodeDeploy application; null without blue/green."
  value       = one(aws_codedeploy_app.this[*].name)
}

output "codedeploy_deployment_group_name" {
  description = "Name of the CodeDeploy deployment group; null without blue/green."
  value       = one(aws_codedeploy_deployment_group.this[*].deployment_group_name)
}

output "desired_count" {
  description = "Tasks the service was created with (autoscaling moves it between min_capacity and max_capacity afterwards)."
  value       = one(concat(aws_ecs_service.this[*].desired_count, aws_ecs_service.blue_green[*].desired_count))
}

output "metrics_namespace" {
  description = "CloudWatch namespace the collector sends the service's own metrics to."
  value       = var.metrics_namespace
}

output "metrics_environment" {
  description = "Value of the environment dimension of the service's own metrics."
  value       = local.environment
}
