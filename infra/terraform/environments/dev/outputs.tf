output "url" {
  description = "The service's public URL."
  value       = module.stack.url
}

output "alb_dns_name" {
  description = "DNS name of the load balancer, for the environment's DNS record."
  value       = module.stack.alb_dns_name
}

output "ecr_repository_url" {
  description = "The repository the image workflow pushes to."
  value       = module.stack.ecr_repository_url
}

output "cluster_name" {
  description = "ECS cluster name, for the deploy workflow."
  value       = module.stack.cluster_name
}

output "service_name" {
  description = "ECS service name, for the deploy workflow."
  value       = module.stack.service_name
}

output "codedeploy_deployment_group_name" {
  description = "CodeDeploy deployment group of a blue/green service (enable_blue_green); null with rolling deployments."
  value       = module.stack.codedeploy_deployment_group_name
}

output "deploy_role_arn" {
  description = "Role the deploy workflow assumes through OIDC."
  value       = module.stack.deploy_role_arn
}

output "push_role_arn" {
  description = "Role the image workflow assumes through OIDC to push to dev's repository (AWS_PUSH_ROLE_ARN)."
  value       = module.stack.push_role_arn
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the service."
  value       = module.stack.dashboard_name
}

output "default_tags" {
  description = "The tags every taggable resource carries."
  value       = local.default_tags
}

output "shape" {
  description = "The environment's shape: zones, NAT gateways, tasks, health check, protection."
  value       = module.stack.shape
}

output "codedeploy_app_name" {
  description = "CodeDeploy application of a blue/green service; null with rolling deployments."
  value       = module.stack.codedeploy_app_name
}

output "alb_zone_id" {
  description = "Route 53 zone id of the load balancer, for an alias record of the environment's host name."
  value       = module.stack.alb_zone_id
}

output "task_definition_family" {
  description = "Family of the service's task definition: scripts/deploy registers its revisions."
  value       = module.stack.task_definition_family
}

output "private_subnet_ids" {
  description = "Subnets of one-off tasks such as the migration (scripts/migrate-task)."
  value       = module.stack.private_subnet_ids
}

output "service_security_group_id" {
  description = "Security group of one-off tasks such as the migration (scripts/migrate-task)."
  value       = module.stack.service_security_group_id
}

output "terraform_role_arn" {
  description = "Role the deploy workflow applies Terraform with: the environment's AWS_TERRAFORM_ROLE_ARN variable (docs/pipeline.md)."
  value       = module.stack.terraform_role_arn
}

output "plan_role_arn" {
  description = "Read-only role of the deploy workflow's plan job: the ENV-plan environment's AWS_PLAN_ROLE_ARN variable."
  value       = module.stack.plan_role_arn
}

output "ecr_repository_arn" {
  description = "ARN of the environment's image repository."
  value       = module.stack.ecr_repository_arn
}
