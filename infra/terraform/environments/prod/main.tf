# prod: three zones, a NAT gateway in each (a zone's failure takes only its own egress),
# at least two tasks of 0.5 vCPU / 1 GiB (headroom for bursts while autoscaling reacts,
# and for the collector sidecar) on regular Fargate, half of the rest on Spot, a
# multi-zone database, deletion protection, and deployments that roll back on the
# alarms.
module "stack" {
  source = "../../modules/stack"

  environment     = "prod"
  certificate_arn = var.certificate_arn
  image           = var.image
  alarm_emails    = var.alarm_emails

  vpc_cidr_block     = "10.2.0.0/16"
  az_count           = 3
  single_nat_gateway = false

  cpu_architecture    = "ARM64"
  task_cpu            = 512
  task_memory         = 1024
  min_capacity        = 2
  max_capacity        = 10
  fargate_base        = 2
  fargate_weight      = 1
  fargate_spot_weight = 1

  log_retention_days = 90
  trace_sample_ratio = 0.1

  database_instance_class        = "db.t4g.medium"
  database_multi_az              = true
  database_backup_retention_days = 14
  # db.t4g.medium allows about 400 connections; 10 tasks hold at most 160.
  database_connections_alarm_threshold = 320

  deletion_protection = true

  # A quarter above the estimate in docs/infrastructure.md, so the 80% notice means
  # the month is running past it, not that it is a normal month.
  budget_limit_usd = 750

  github_repository           = var.github_repository
  create_github_oidc_provider = var.create_github_oidc_provider
  github_oidc_provider_arn    = var.github_oidc_provider_arn
  # The key repeats versions.tf's backend key: a backend block takes no variables.
  terraform_state = var.terraform_state_bucket == null ? null : {
    bucket      = var.terraform_state_bucket
    key         = "hello-service/prod/terraform.tfstate"
    kms_key_arn = var.terraform_state_kms_key_arn
  }
  image_source_repository = var.image_source_repository
}
