output "name" {
  description = "The prefix of every resource name, and the name of the cluster and the service."
  value       = local.name
}

output "url" {
  description = "The service's public URL (point a DNS name at alb_dns_name for the certificate's host)."
  value       = "https://${module.alb.dns_name}"
}

output "alb_dns_name" {
  description = "DNS name of the load balancer."
  value       = module.alb.dns_name
}

output "alb_zone_id" {
  description = "Route 53 zone id of the load balancer, for an alias record."
  value       = module.alb.zone_id
}

output "ecr_repository_url" {
  description = "The repository the image workflow pushes to."
  value       = module.ecr.repository_url
}

output "cluster_name" {
  description = "ECS cluster name."
  value       = module.service.cluster_name
}

output "service_name" {
  description = "ECS service name."
  value       = module.service.service_name
}

output "task_definition_arn" {
  description = "The task definition the service runs (the deploy workflow registers new revisions of its family)."
  value       = module.service.task_definition_arn
}

output "private_subnet_ids" {
  description = "Subnets for one-off tasks such as `hello-service migrate`."
  value       = module.network.private_subnet_ids
}

output "service_security_group_id" {
  description = "Security group for one-off tasks such as `hello-service migrate`."
  value       = module.service.security_group_id
}

output "database_address" {
  description = "Host name of the database."
  value       = module.database.address
}

output "database_secret_arn" {
  description = "The RDS-managed secret with the database credentials (the service's APP_SECRET_ID)."
  value       = module.database.master_user_secret_arn
}

output "sns_topic_arn" {
  description = "Topic the alarms and the budget notify."
  value       = module.observability.sns_topic_arn
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the service."
  value       = module.observability.dashboard_name
}

output "deploy_role_arn" {
  description = "Role GitHub Actions assumes to deploy (null without github_repository)."
  value       = one(module.github_oidc[*].deploy_role_arn)
}

output "push_role_arn" {
  description = "Role the image workflow pushes with (null without github_push_role)."
  value       = one(module.github_oidc[*].push_role_arn)
}

output "terraform_role_arn" {
  description = "Role the deploy workflow applies Terraform with (null without terraform_state)."
  value       = one(module.github_oidc[*].terraform_role_arn)
}

output "plan_role_arn" {
  description = "Read-only role of the deploy workflow's plan job (null without terraform_state)."
  value       = one(module.github_oidc[*].plan_role_arn)
}

output "ecr_repository_arn" {
  description = "ARN of the environment's image repository (the image_source_repository_arn of the environments that promote from it)."
  value       = module.ecr.repository_arn
}

output "codedeploy_deployment_group_name" {
  description = "CodeDeploy deployment group (null unless enable_blue_green)."
  value       = module.service.codedeploy_deployment_group_name
}

output "shape" {
  description = "The environment's shape as its resources are configured (zones, NAT gateways, tasks, health check, protection): what the environment tests check, and a quick answer to \"what does prod look like\"."
  value = {
    availability_zones           = module.network.availability_zones
    nat_gateways                 = length(module.network.nat_gateway_ids)
    tasks_desired                = module.service.desired_count
    tasks_min                    = var.min_capacity
    tasks_max                    = var.max_capacity
    task_cpu                     = var.task_cpu
    task_memory                  = var.task_memory
    app_port                     = module.alb.target_port
    health_check                 = module.alb.health_check
    alb_egress_port_ranges       = module.alb.egress_port_ranges
    alb_deletion_protection      = module.alb.deletion_protection
    database_multi_az            = module.database.multi_az
    database_deletion_protection = module.database.deletion_protection
  }
}

output "task_definition_family" {
  description = "Family of the service's task definition, whose revisions the deploy pipeline registers."
  value       = module.service.task_definition_family
}

output "codedeploy_app_name" {
  description = "CodeDeploy application (null unless enable_blue_green)."
  value       = module.service.codedeploy_app_name
}
