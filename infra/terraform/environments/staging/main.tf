# staging: prod's shape at a smaller size, so a deployment is rehearsed against the same
# wiring: two tasks in two zones, one NAT gateway, a single-zone database.
module "stack" {
  source = "../../modules/stack"

  environment     = "staging"
  certificate_arn = var.certificate_arn
  image           = var.image
  alarm_emails    = var.alarm_emails

  vpc_cidr_block     = "10.1.0.0/16"
  az_count           = 2
  single_nat_gateway = true

  cpu_architecture    = "ARM64"
  task_cpu            = 256
  task_memory         = 512
  min_capacity        = 2
  max_capacity        = 4
  fargate_base        = 1
  fargate_weight      = 1
  fargate_spot_weight = 1

  log_retention_days = 30
  trace_sample_ratio = 0.5

  database_instance_class        = "db.t4g.small"
  database_multi_az              = false
  database_backup_retention_days = 7
  # db.t4g.small allows about 200 connections; 4 tasks hold at most 64.
  database_connections_alarm_threshold = 160

  deletion_protection = false

  # Between dev's and prod's (dev's shape with two tasks and a larger database), so the
  # 80% notice means a month running past the usual, not a normal month.
  budget_limit_usd = 300

  github_repository           = var.github_repository
  create_github_oidc_provider = var.create_github_oidc_provider
  github_oidc_provider_arn    = var.github_oidc_provider_arn
  # The key repeats versions.tf's backend key: a backend block takes no variables.
  terraform_state = var.terraform_state_bucket == null ? null : {
    bucket      = var.terraform_state_bucket
    key         = "hello-service/staging/terraform.tfstate"
    kms_key_arn = var.terraform_state_kms_key_arn
  }
  image_source_repository = var.image_source_repository
}
